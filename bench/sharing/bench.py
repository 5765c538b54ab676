"""Outbox → webhook delivery at a sustained rate: throughput and lag.

`pingan serve` (over a fresh demo district, SQLite or PostgreSQL) delivers to a signed webhook receiver
in this process while client threads record incidents through the staff API at a fixed rate (default
200/s) for a fixed time (default 60 s); every intake is one change and one outbox event. Lag is the
receiver's arrival time minus the event's `time` (when the change committed, to the microsecond), over
every event; the report gives the rate achieved, events delivered, p50/p99/max lag and the time to
drain after the load stops. Loopback, one machine: the client, the server and the receiver share its
cores.
"""

import argparse
import json
import os
import random
import sys
import threading
import time
from datetime import datetime

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "sharing"))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "crash"))
from crash import Api, Server, log, point, postgres_database  # noqa: E402
from sharing import Receiver, Run  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def bench(backend, args):
    db_url, drop = (None, None)
    if backend == "postgres":
        db_url, drop = postgres_database(os.environ["PINGAN_TEST_POSTGRES_URL"])
    args.nats = args.nats or "nats://127.0.0.1:4222"
    run = Run(backend, args, db_url, random.Random(1))
    run.receiver = Receiver(random.Random(2), refuse=0.0)
    run.env["PINGAN_SHARING__POLL_MS"] = str(args.poll_ms)
    try:
        run.setup()
        # Only the webhook partner counts here: switch the JetStream one off.
        admin = run.api("admin")
        admin.call("PUT", f"/api/v1/sharing/partners/{run.grid}/endpoint", {"transport": "jetstream", "enabled": False})
        period = args.threads / args.rate
        stop = threading.Event()
        sent = [0] * args.threads

        def load(i):
            api = run.api("dispatcher")
            rng = random.Random(i)
            nxt = time.monotonic()
            while not stop.is_set():
                lng, lat = point(rng)
                st, _, _ = api.call("POST", "/api/v1/incidents", {"type_code": "200200", "description": "压测",
                                                                   "address": "枫桥镇", "lng": lng, "lat": lat})
                if st == 201:
                    sent[i] += 1
                nxt += period
                time.sleep(max(0.0, nxt - time.monotonic()))

        threads = [threading.Thread(target=load, args=(i,)) for i in range(args.threads)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        for t in threads:
            t.join()
        load_s = time.monotonic() - t0
        t1 = time.monotonic()
        total = sum(sent)
        while time.monotonic() - t1 < 120:
            got = {a[2] for a in run.receiver.arrivals}
            if len(got) >= total:
                break
            time.sleep(0.1)
        drain = time.monotonic() - t1
        lags = [arr - datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for arr, t, _ in run.receiver.arrivals]
        first = {}
        for arr, t, i in run.receiver.arrivals:
            first.setdefault(i, arr - datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp())
        lags = list(first.values())
        return {
            "backend": backend, "rate_asked": args.rate, "seconds": round(load_s, 1), "intakes": total,
            "rate_achieved": round(total / load_s, 1), "delivered": len(first),
            "requests": run.receiver.requests,
            "lag_p50_ms": round(pct(lags, 50) * 1000, 1), "lag_p99_ms": round(pct(lags, 99) * 1000, 1),
            "lag_max_ms": round(max(lags) * 1000, 1) if lags else None, "drain_s": round(drain, 2),
            "poll_ms": args.poll_ms,
        }
    finally:
        run.server.stop()
        run.receiver.httpd.shutdown()
        if drop:
            drop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.environ.get("PINGAN_BIN", "target/release/pingan"))
    ap.add_argument("--rate", type=float, default=200.0, help="intakes per second (default 200)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--poll-ms", type=int, default=500, help="the servers' sharing.poll_ms (default as shipped, 500)")
    ap.add_argument("--backend", choices=["all", "sqlite", "postgres"], default="all")
    ap.add_argument("--nats", default=os.environ.get("PINGAN_TEST_NATS_URL", ""))
    args = ap.parse_args()
    args.kill_max = 0
    args.rounds = 0
    for b in (["sqlite", "postgres"] if args.backend == "all" else [args.backend]):
        if b == "postgres" and not os.environ.get("PINGAN_TEST_POSTGRES_URL"):
            log("postgres: PINGAN_TEST_POSTGRES_URL is not set; skipped")
            continue
        print(json.dumps(bench(b, args)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
