"""300 parallel logins against a running Pingan server: RSS stays bounded, the excess is refused with
503 + Retry-After, nothing hangs (see run.sh and README.md). Python standard library only.

Every burst opens --parallel connections, waits until all are connected, then sends every
POST /api/v1/session at once: most with unknown user names (the server still checks a dummy hash, so
each costs one argon2 verification like a real guess), a few with a real account's right password.
The server's VmRSS is sampled from /proc/PID/status every 10 ms; VmHWM gives the peak between samples.
"""

import argparse
import http.client
import json
import random
import threading
import time
import urllib.parse


def rss_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.samples.append((time.monotonic(), rss_kib(self.pid)["VmRSS"]))
            time.sleep(0.01)


def one_login(host, port, body, barrier, out, i, timeout):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.connect()
        barrier.wait()
        t = time.monotonic()
        conn.request("POST", "/api/v1/session", body=json.dumps(body), headers={"content-type": "application/json"})
        r = conn.getresponse()
        r.read()
        out[i] = (r.status, r.getheader("retry-after"), time.monotonic() - t)
    except Exception as e:  # noqa: BLE001 — a hang or a reset is a result here
        out[i] = (f"{type(e).__name__}", None, None)
    finally:
        conn.close()


def burst(url, n, accounts, rng, timeout):
    u = urllib.parse.urlsplit(url)
    barrier = threading.Barrier(n)
    out = [None] * n
    threads = []
    for i in range(n):
        if i < len(accounts):
            body = {"username": accounts[i][0], "password": accounts[i][1]}
        else:
            body = {"username": f"nobody{rng.randrange(10**9)}", "password": "Wrong-Password-1"}
        threads.append(threading.Thread(target=one_login, args=(u.hostname, u.port, body, barrier, out, i, timeout)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--accounts", default="[]", help='JSON [["user", "password"], …]: right passwords sent in each burst')
    ap.add_argument("--parallel", type=int, default=300)
    ap.add_argument("--bursts", type=int, default=3)
    ap.add_argument("--max-rss-mb", type=float, default=160.0, help="the bound: peak VmRSS during the bursts")
    ap.add_argument("--timeout", type=float, default=30.0, help="a login unanswered this long has hung")
    ap.add_argument("--out", required=True)
    ap.add_argument("--machine", default="{}")
    args = ap.parse_args()
    rng = random.Random(1)
    accounts = json.loads(args.accounts)

    base = rss_kib(args.pid)
    sampler = Sampler(args.pid)
    sampler.start()
    results = []
    for b in range(args.bursts):
        t = time.monotonic()
        out = burst(args.url, args.parallel, accounts, rng, args.timeout)
        wall = time.monotonic() - t
        by = {}
        for status, _, _ in out:
            by[str(status)] = by.get(str(status), 0) + 1
        refused = [o for o in out if o[0] == 503]
        lat = sorted(o[2] for o in out if o[2] is not None)
        right = out[: len(accounts)]
        results.append(
            {
                "burst": b + 1,
                "wall_s": round(wall, 2),
                "status": by,
                "503_without_retry_after": sum(1 for o in refused if not o[1]),
                "retry_after_values": sorted({o[1] for o in refused if o[1]}),
                "answered_max_s": round(lat[-1], 2) if lat else None,
                "answered_p50_s": round(lat[len(lat) // 2], 2) if lat else None,
                "right_passwords": [o[0] for o in right],
            }
        )
        print(f"burst {b + 1}: {by} in {wall:.1f} s; slowest answer {results[-1]['answered_max_s']} s", flush=True)
        time.sleep(2)
    time.sleep(5)
    sampler.stop.set()
    sampler.join()
    after = rss_kib(args.pid)
    peak_kib = max(after["VmHWM"], max(s[1] for s in sampler.samples))
    hung = sum(1 for r in results for k, v in r["status"].items() if not k.isdigit() for _ in range(v))
    bad_503 = sum(r["503_without_retry_after"] for r in results)
    other = sum(v for r in results for k, v in r["status"].items() if k.isdigit() and k not in ("200", "401", "503"))
    report = {
        "machine": json.loads(args.machine),
        "parallel": args.parallel,
        "bursts": results,
        "rss_mb": {
            "before": round(base["VmRSS"] / 1024, 1),
            "peak": round(peak_kib / 1024, 1),
            "5s_after": round(after["VmRSS"] / 1024, 1),
            "bound": args.max_rss_mb,
        },
        "hung_or_reset": hung,
        "503_without_retry_after": bad_503,
        "unexpected_status": other,
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report["rss_mb"]), flush=True)
    ok = peak_kib / 1024 <= args.max_rss_mb and hung == 0 and bad_503 == 0 and other == 0
    print(
        f"login burst: {'PASS' if ok else 'FAIL'} — peak RSS {peak_kib / 1024:.0f} MB (bound {args.max_rss_mb:.0f} MB), "
        f"hung {hung}, 503 without Retry-After {bad_503}, unexpected statuses {other}",
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
