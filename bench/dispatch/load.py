"""Intake + dispatch load and GPS ingest against a running Pingan server (see run.sh and README.md).

Latency is open-loop: request i is due at t0 + i/rate and its latency is counted from that due time, so a
stalled server cannot hide queueing (no coordinated omission). Phases, one after another:
  a. GET /healthz at the rate                    — the baseline
  b. intake + dispatch at the rate: POST /api/v1/incidents, then POST …/{id}/actions dispatch
  c. GPS ingest: POST /api/v1/units/positions, --batch pings a request, 4 requests in flight
  d. raw SQLite: the same rows into a fresh file, same table and PRAGMAs, one transaction per batch
"""

import argparse
import asyncio
import json
import random
import sqlite3
import time
from datetime import datetime, timedelta, timezone

import aiohttp

P99_FACTOR, INGEST_RATIO = 5.0, 0.5  # targets: p99 within 5× of /healthz; ingest ≥ 50 % of raw
CST = timezone(timedelta(hours=8))
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
TABLE = """CREATE TABLE unit_positions (device_id TEXT NOT NULL, at BIGINT NOT NULL, unit_id TEXT NOT NULL,
    lng DOUBLE PRECISION NOT NULL, lat DOUBLE PRECISION NOT NULL, speed DOUBLE PRECISION,
    heading DOUBLE PRECISION, PRIMARY KEY (device_id, at))"""
INSERT = "INSERT INTO unit_positions VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"


class Series:
    """Latencies (seconds) of one kind of request, plus its errors."""

    def __init__(self):
        self.ms, self.errors, self.samples = [], 0, []

    def add(self, seconds):
        self.ms.append(seconds * 1000)

    def fail(self, what):
        self.errors += 1
        if len(self.samples) < 3:
            self.samples.append(what)

    def stats(self):
        s = sorted(self.ms)
        pct = {f"p{q}": round(s[min(len(s) - 1, int(len(s) * q / 100))], 2) if s else None for q in (50, 90, 99)}
        return {"n": len(s), **pct, "max": round(s[-1], 2) if s else None, "errors": self.errors,
                "error_samples": self.samples}


async def call(http, method, path, series, **kw):
    """One request; returns the decoded JSON body or None on failure (counted in `series`)."""
    try:
        async with http.request(method, path, **kw) as r:
            body = await r.read()
            if r.status >= 300:
                series.fail(f"{method} {path} → {r.status} {body[:200].decode(errors='replace')}")
                return None
            return json.loads(body) if body and r.content_type == "application/json" else {}
    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
        series.fail(f"{method} {path} → {type(e).__name__}: {e}")
        return None


async def open_loop(rate, seconds, one):
    """Starts one(i, due) at due = t0 + i/rate, whatever the earlier ones are doing; returns the wall time."""
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 0.2
    tasks = []
    for i in range(int(rate * seconds)):
        due = t0 + i / rate
        if due > loop.time():
            await asyncio.sleep(due - loop.time())
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    return loop.time() - t0


async def phase_healthz(http, rate, seconds):
    s = Series()
    loop = asyncio.get_running_loop()

    async def one(i, due):
        if await call(http, "GET", "/healthz", s) is not None:
            s.add(loop.time() - due)

    wall = await open_loop(rate, seconds, one)
    return {"healthz": s}, wall


async def phase_intake(http, rate, seconds, unit_ids):
    intake, dispatch, pair = Series(), Series(), Series()
    loop = asyncio.get_running_loop()
    rnd = random.Random(7)

    async def one(i, due):
        incident = {
            "channel": "call_110", "type_code": "200200", "level": 2,
            "description": f"压测警情 {i}：有人在路边争吵", "address": f"诸暨市枫桥镇压测路 {i} 号",
            "lng": round(rnd.uniform(120.365, 120.44), 6), "lat": round(rnd.uniform(29.602, 29.618), 6),
            "caller_phone": f"139{rnd.randrange(10**8):08d}",
        }
        created = await call(http, "POST", "/api/v1/incidents", intake, json=incident)
        if created is None:
            return
        t1 = loop.time()
        intake.add(t1 - due)
        action = {"action": "dispatch", "unit_ids": [unit_ids[i % len(unit_ids)]]}
        if await call(http, "POST", f"/api/v1/incidents/{created['id']}/actions", dispatch, json=action) is None:
            return
        t2 = loop.time()
        dispatch.add(t2 - t1)
        pair.add(t2 - due)

    wall = await open_loop(rate, seconds, one)
    return {"intake": intake, "dispatch": dispatch, "pair": pair}, wall


def gps_rows(units, n):
    """n pings spread over the units' devices, distinct times per device (base + k ms)."""
    devices = [(u["device_id"], u["id"]) for u in units if u.get("device_id")]
    base = datetime.now(CST).replace(microsecond=0) - timedelta(hours=2)
    rnd = random.Random(11)
    rows = []
    for i in range(n):
        dev, unit = devices[i % len(devices)]
        at = base + timedelta(milliseconds=i // len(devices))
        rows.append((dev, at, unit, round(rnd.uniform(120.365, 120.44), 6), round(rnd.uniform(29.602, 29.618), 6),
                     round(rnd.uniform(0, 20), 1), round(rnd.uniform(0, 360), 1)))
    return rows, len(devices)


async def phase_ingest(http, batches):
    s = Series()
    loop = asyncio.get_running_loop()
    bodies = [json.dumps({"pings": [
        {"device_id": d, "at": at.isoformat(timespec="milliseconds"), "lng": lng, "lat": lat, "speed": sp,
         "heading": hd} for d, at, _, lng, lat, sp, hd in b]}).encode() for b in batches]
    queue = list(reversed(bodies))
    totals = {"accepted": 0, "duplicates": 0, "unknown_devices": 0}

    async def worker():
        while queue:
            body = queue.pop()
            t = loop.time()
            r = await call(http, "POST", "/api/v1/units/positions", s, data=body,
                           headers={"content-type": "application/json"})
            if r is not None:
                s.add(loop.time() - t)
                for k in totals:
                    totals[k] += r.get(k, 0)

    t0 = loop.time()
    await asyncio.gather(*(worker() for _ in range(4)))
    return s, totals, loop.time() - t0


def raw_insert(path, batches):
    rows = [[(d, (at - EPOCH) // timedelta(microseconds=1), u, lng, lat, sp, hd)
             for d, at, u, lng, lat, sp, hd in b] for b in batches]
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(TABLE)
    t0 = time.perf_counter()
    for b in rows:
        con.execute("BEGIN IMMEDIATE")
        con.executemany(INSERT, b)
        con.execute("COMMIT")
    wall = time.perf_counter() - t0
    n = con.execute("SELECT count(*) FROM unit_positions").fetchone()[0]
    con.close()
    return n, wall


async def main(a):
    jar = aiohttp.CookieJar(unsafe=True)  # the server is an IP address (127.0.0.1)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(a.url, cookie_jar=jar, timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=0)) as http:
        login = Series()
        await call(http, "POST", "/api/v1/session", login, json={"username": a.user, "password": a.password})
        units = await call(http, "GET", "/api/v1/units", login)
        assert units, f"login or unit list failed: {login.samples}"
        unit_ids = [u["id"] for u in units if u["status"] != "off_duty"]
        print(f"== {len(units)} units ({len(unit_ids)} on duty); {a.rate}/s for {a.seconds} s per phase")

        await phase_healthz(http, a.rate, 2)  # warm-up (connections, allocator), not recorded
        print("== a. /healthz")
        res, wall_h = await phase_healthz(http, a.rate, a.seconds)
        print("== b. intake + dispatch")
        res2, wall_i = await phase_intake(http, a.rate, a.seconds, unit_ids)
        res.update(res2)

        rows, n_devices = gps_rows(units, a.gps_rows)
        batches = [rows[i:i + a.batch] for i in range(0, len(rows), a.batch)]
        print(f"== c. GPS ingest: {len(rows)} pings from {n_devices} devices, {len(batches)} batches of ≤ {a.batch}")
        ingest, totals, wall_g = await phase_ingest(http, batches)
    print("== d. raw SQLite insert of the same rows")
    raw_n, wall_r = raw_insert(a.raw_db, batches)

    ingest_rate, raw_rate = totals["accepted"] / wall_g, raw_n / wall_r
    stats = {k: v.stats() for k, v in res.items()}
    base = stats["healthz"]["p99"] or float("nan")
    checks = {
        "intake_p99_within_5x_healthz": (stats["intake"]["p99"] or 1e9) <= P99_FACTOR * base,
        "dispatch_p99_within_5x_healthz": (stats["dispatch"]["p99"] or 1e9) <= P99_FACTOR * base,
        "ingest_at_least_half_raw": ingest_rate >= INGEST_RATIO * raw_rate,
        "no_errors": all(v.errors == 0 for v in [*res.values(), ingest]) and totals["accepted"] == len(rows),
    }
    out = {
        "machine": json.loads(a.machine), "params": {k: getattr(a, k) for k in ("rate", "seconds", "batch", "gps_rows")},
        "latency_ms": stats,
        "achieved_rate": {"healthz": round(stats["healthz"]["n"] / wall_h, 1),
                          "incidents": round(stats["pair"]["n"] / wall_i, 1)},
        "ingest": {"rows": len(rows), **totals, "seconds": round(wall_g, 3), "rows_per_s": round(ingest_rate),
                   "request_ms": ingest.stats()},
        "raw_sqlite": {"rows": raw_n, "seconds": round(wall_r, 3), "rows_per_s": round(raw_rate)},
        "ingest_vs_raw": round(ingest_rate / raw_rate, 3),
        "checks": checks,
    }

    print(f"\n{'':10}{'n':>7}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}  p99 / healthz p99")
    for k, s in stats.items():
        ratio = f"{s['p99'] / base:.1f}×" if s["p99"] else "-"
        print(f"{k:10}{s['n']:>7}{s['p50'] or 0:>9.2f}{s['p90'] or 0:>9.2f}{s['p99'] or 0:>9.2f}{s['max'] or 0:>9.2f}"
              f"{s['errors']:>8}  {ratio}")
        for e in s["error_samples"]:
            print(f"          e.g. {e}")
    print(f"achieved: healthz {out['achieved_rate']['healthz']}/s, incidents {out['achieved_rate']['incidents']}/s"
          f" (target {a.rate}/s)")
    print(f"GPS ingest: {totals['accepted']} accepted, {totals['duplicates']} duplicates, "
          f"{totals['unknown_devices']} unknown, {ingest.errors} failed requests in {wall_g:.2f} s = {ingest_rate:,.0f} rows/s"
          f" (request p50 {out['ingest']['request_ms']['p50']} ms, p99 {out['ingest']['request_ms']['p99']} ms)")
    print(f"raw SQLite: {raw_n} rows in {wall_r:.2f} s = {raw_rate:,.0f} rows/s; ingest / raw = {out['ingest_vs_raw']:.2f}")
    for k, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'} {k}")
    with open(a.out, "w") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
    return all(checks.values())


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="server root, e.g. http://127.0.0.1:8080/")
    p.add_argument("--user", default="dispatcher")
    p.add_argument("--password", required=True)
    p.add_argument("--rate", type=float, default=200, help="incidents (and /healthz requests) per second")
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--batch", type=int, default=500, help="GPS pings per request")
    p.add_argument("--gps-rows", type=int, default=200_000)
    p.add_argument("--raw-db", required=True, help="a new SQLite file for the raw insert")
    p.add_argument("--out", default="results.json")
    p.add_argument("--machine", default="{}", help="JSON object stored as-is in the results")
    raise SystemExit(0 if asyncio.run(main(p.parse_args())) else 1)
