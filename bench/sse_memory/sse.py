"""Opens and closes N live streams (GET /api/v1/board/stream) against a running Pingan server, several
cycles in a row, and reads the server's memory after each: a leak grows with every cycle, allocator
retention rises once and stays flat. Also reads /metrics: live_streams_open and http_connections_open
must come back to where they started. Python standard library only (see run.sh and README.md).
"""

import argparse
import http.client
import json
import re
import socket
import threading
import time
import urllib.parse


def mem_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0])
    return out


def metrics(host, port, token):
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", "/metrics", headers={"authorization": f"Bearer {token}"})
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    out = {}
    for name in ("live_streams_open", "http_connections_open"):
        m = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.M)
        out[name] = float(m.group(1)) if m else 0.0
    return out


def login(host, port, user, password):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request("POST", "/api/v1/session", body=json.dumps({"username": user, "password": password}),
              headers={"content-type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        raise SystemExit(f"login {user}: {r.status}")
    for k, v in r.getheaders():
        if k.lower() == "set-cookie" and v.startswith("pingan_session="):
            return v.split(";", 1)[0]
    raise SystemExit("no session cookie")


def open_stream(host, port, cookie):
    """A raw socket with the stream's response head read; the caller closes it."""
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(
        f"GET /api/v1/board/stream HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("stream closed before its head")
        head += chunk
    status = int(head.split(b" ", 2)[1])
    if status != 200:
        raise RuntimeError(f"stream answered {status}: {head[:200]!r}")
    return s


def post_incident(host, port, cookie, i):
    """One change on the board, so every open stream carries an event."""
    body = {
        "channel": "patrol", "type_code": "200100", "level": 3,
        "address": f"枫桥镇测试村 {i} 号", "lng": 120.366, "lat": 29.6055,
        "description": f"sse bench {i}",
    }
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request("POST", "/api/v1/incidents", body=json.dumps(body),
              headers={"content-type": "application/json", "cookie": cookie})
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--token", required=True, help="the /metrics bearer token")
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--cycles", type=int, default=5)
    ap.add_argument("--hold", type=float, default=3.0, help="seconds the streams stay open")
    ap.add_argument("--settle", type=float, default=5.0, help="seconds after closing before memory is read")
    ap.add_argument("--out", required=True)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    u = urllib.parse.urlsplit(args.url)
    host, port = u.hostname, u.port
    cookie = login(host, port, args.user, args.password)

    rows = []
    m0 = metrics(host, port, args.token)
    base = mem_kib(args.pid)
    rows.append({"cycle": 0, "rss_mb": round(base["VmRSS"] / 1024, 1), **m0})
    print(f"before: RSS {base['VmRSS'] / 1024:.1f} MB, {m0}", flush=True)
    for cycle in range(1, args.cycles + 1):
        socks = []
        lock = threading.Lock()

        def opener(n):
            for _ in range(n):
                s = open_stream(host, port, cookie)
                with lock:
                    socks.append(s)

        per = [args.streams // 8 + (1 if k < args.streams % 8 else 0) for k in range(8)]
        ts = [threading.Thread(target=opener, args=(n,)) for n in per]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for i in range(3):
            post_incident(host, port, cookie, cycle * 10 + i)
        time.sleep(args.hold)
        open_m = metrics(host, port, args.token)
        peak = mem_kib(args.pid)
        got = 0
        for s in socks:
            s.settimeout(0.05)
            try:
                got += s.recv(65536).count(b"event: change")
            except OSError:
                pass
            s.close()
        time.sleep(args.settle)
        after = mem_kib(args.pid)
        m = metrics(host, port, args.token)
        rows.append({
            "cycle": cycle, "open_streams_seen": open_m["live_streams_open"],
            "rss_open_mb": round(peak["VmRSS"] / 1024, 1), "rss_mb": round(after["VmRSS"] / 1024, 1),
            "change_events_read": got, **m,
        })
        print(f"cycle {cycle}: {len(socks)} streams open (server counted {open_m['live_streams_open']:.0f}), "
              f"{got} change events read; RSS open {peak['VmRSS'] / 1024:.1f} MB, "
              f"{args.settle:.0f} s after closing {after['VmRSS'] / 1024:.1f} MB; {m}", flush=True)
    growth = [rows[i]["rss_mb"] - rows[i - 1]["rss_mb"] for i in range(2, len(rows))]
    report = {"label": args.label, "streams": args.streams, "cycles": rows,
              "growth_after_first_cycle_mb": [round(g, 1) for g in growth]}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    leaked_streams = rows[-1]["live_streams_open"] - rows[0]["live_streams_open"]
    leaked_conns = rows[-1]["http_connections_open"] - rows[0]["http_connections_open"]
    print(f"RSS per cycle (MB): {[r['rss_mb'] for r in rows]}; growth after the first cycle: {report['growth_after_first_cycle_mb']}", flush=True)
    print(f"streams left open on the server: {leaked_streams:.0f}; connections: {leaked_conns:.0f}", flush=True)
    return 0 if leaked_streams == 0 and leaked_conns == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
