"""Data sharing under SIGKILL: every event reaches its partner at least once, none lost, in order per record.

1. `pingan demo` makes the demo district once (its fire brigade has an approved agreement); from then on
   the server is `pingan serve` on the same data (the production path), with fast polling and a short
   partner lease so a restarted server takes over quickly.
2. Two partners: the demo's fire brigade on the webhook path (a signed HTTP receiver in this process,
   HMAC-SHA256, which answers 503 now and then so retries happen too) and a second partner agency made
   here, on the JetStream path (a stream of its own on the NATS server of PINGAN_TEST_NATS_URL), under
   an agreement drafted by the administrator and approved by the security administrator.
3. Each round: client threads record incidents and dispatch them through the staff API while delivery
   runs; at a random moment the server gets SIGKILL; it is restarted.
4. At the end the outbox is read back (the database directly), and for each partner: every event its
   agreement covers arrived (webhook: at the receiver; JetStream: in the stream), each with only the
   agreement's fields, and — keeping the first arrival of each event id, as a consumer deduplicating on
   the id does — the events of each incident arrived in outbox order.

Standard library only; the server, Api and database helpers are crash.py's.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import re
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crash"))
from crash import Api, Server, log, point, postgres_database  # noqa: E402

WEBHOOK_FIELDS = {"number", "channel", "type_code", "level", "address", "lng", "lat", "grid_code", "area_path",
                  "received_at", "action", "status", "at"}
STREAM_FIELDS = {"incident.received": {"number", "type_code", "area_path"},
                 "incident.status_changed": {"number", "status"}}


def totp(secret_b32, at=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((at or time.time()) // 30)
    h = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = h[-1] & 0x0F
    return f"{(struct.unpack('>I', h[o:o + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class Receiver:
    """The fire brigade's webhook: checks each request's signature, keeps the events, refuses some."""

    def __init__(self, rng, refuse=0.1):
        self.secret = None
        self.events = []
        # (arrival time, event time) of each event, for the benchmark's lag.
        self.arrivals = []
        self.requests = 0
        self.refused = 0
        self.bad = []
        self.lock = threading.Lock()
        self.rng = rng
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                ts = self.headers.get("x-pingan-timestamp", "")
                sig = self.headers.get("x-pingan-signature", "")
                with outer.lock:
                    outer.requests += 1
                    want = "hmac-sha256=" + hmac.new(outer.secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
                    if not hmac.compare_digest(sig, want):
                        outer.bad.append(f"bad signature on a delivery: {sig[:40]}")
                    # Now and then the partner is down: the server must retry, not lose.
                    if outer.rng.random() < refuse:
                        outer.refused += 1
                        self.send_response(503)
                        self.end_headers()
                        return
                    batch = json.loads(body)
                    now = time.time()
                    outer.events.extend(batch)
                    outer.arrivals.extend((now, e["time"], e["id"]) for e in batch)
                self.send_response(204)
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


class Nats:
    """Just enough of the NATS protocol to read a stream back (JetStream API requests)."""

    def __init__(self, url):
        host, port = url.replace("nats://", "").rstrip("/").split(":")
        self.s = socket.create_connection((host, int(port)), timeout=10)
        self.f = self.s.makefile("rb")
        self.f.readline()  # INFO
        self.inbox = f"_INBOX.{uuid.uuid4().hex}"
        self.n = 0
        self.s.sendall(f'CONNECT {{"verbose":false,"headers":true,"no_responders":true}}\r\nSUB {self.inbox}.* 1\r\nPING\r\n'.encode())
        while self.f.readline().strip() != b"PONG":
            pass

    def request(self, subject, body):
        self.n += 1
        reply = f"{self.inbox}.{self.n}"
        data = json.dumps(body).encode()
        self.s.sendall(f"PUB {subject} {reply} {len(data)}\r\n".encode() + data + b"\r\n")
        while True:
            line = self.f.readline().decode().strip()
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "PING":
                self.s.sendall(b"PONG\r\n")
            elif parts[0] in ("MSG", "HMSG"):
                total = int(parts[-1])
                payload = self.f.read(total + 2)[:total]
                if parts[0] == "HMSG":
                    payload = payload[int(parts[-2]):]
                if parts[1] == reply:
                    return json.loads(payload) if payload else {}
            elif parts[0] == "-ERR":
                raise RuntimeError(line)

    def messages(self, stream):
        info = self.request(f"$JS.API.STREAM.INFO.{stream}", {})
        if "error" in info:
            raise RuntimeError(f"stream {stream}: {info['error']}")
        out = []
        first, last = info["state"]["first_seq"], info["state"]["last_seq"]
        for seq in range(first, last + 1):
            m = self.request(f"$JS.API.STREAM.MSG.GET.{stream}", {"seq": seq})
            if "message" in m:
                out.append((m["message"]["subject"], json.loads(base64.b64decode(m["message"]["data"]))))
        return out

    def delete(self, stream):
        self.request(f"$JS.API.STREAM.DELETE.{stream}", {})


def outbox(db_url, sqlite_path):
    """Every incident event in the outbox: (position, id, type, aggregate, area)."""
    sql = "SELECT position, id, event_type, aggregate_id, area_path FROM outbox_events WHERE aggregate_type = 'incident' ORDER BY position"
    if db_url:
        out = subprocess.run(["psql", db_url, "-qAtX", "-F", "\t", "-c", sql], check=True, capture_output=True, text=True).stdout
        return [(int(r[0]), r[1], r[2], r[3], r[4]) for r in (line.split("\t") for line in out.splitlines() if line)]
    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        return list(con.execute(sql))
    finally:
        con.close()


class Run:
    def __init__(self, name, args, db_url, rng):
        self.name, self.args, self.db_url, self.rng = name, args, db_url, rng
        self.work = tempfile.mkdtemp(prefix=f"pingan-sharing-{name}-")
        self.data_dir = os.path.join(self.work, "data")
        tag = uuid.uuid4().hex[:10]
        self.stream, self.prefix = f"PINGAN_KILL_{tag}", f"k{tag}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PINGAN_")}
        env.update({
            "PINGAN_LOG": os.environ.get("PINGAN_LOG", "warn"),
            "PINGAN_SERVER__DATA_DIR": self.data_dir,
            "PINGAN_SERVER__LISTEN": "127.0.0.1:0",
            "PINGAN_SHARING__POLL_MS": "100",
            "PINGAN_SHARING__RETRY_BASE_MS": "100",
            "PINGAN_SHARING__RETRY_MAX_MS": "1000",
            "PINGAN_SHARING__LEASE_SECONDS": "2",
            "PINGAN_SHARING__NATS_URL": args.nats,
            "PINGAN_SHARING__NATS_STREAM": self.stream,
            "PINGAN_SHARING__SUBJECT_PREFIX": self.prefix,
        })
        if db_url:
            env["PINGAN_DATABASE__URL"] = db_url
        self.env = env
        self.server = Server(args.bin, env, self.work, "server")
        self.receiver = Receiver(random.Random(rng.random()))
        self.problems = []
        self.acked = 0

    def setup(self):
        demo = Server(self.args.bin, self.env, self.work, "demo")
        out = demo.start(("demo", "--port", "0", "--data-dir", self.data_dir, "--seed", "7"), timeout=600)
        demo.stop()
        self.logins = dict((m.group(1), m.group(2)) for m in re.finditer(r"login: (\S+) / (\S+) / ", out))
        self.totp = dict((m.group(1), m.group(2)) for m in re.finditer(r"second factor \(TOTP\) of (\S+): (\S+)", out))
        self.server.start()
        self.cookies = {u: self.login(u) for u in ("admin", "secadmin", "dispatcher")}
        admin = self.api("admin")
        # The demo's fire brigade: the webhook path, at our receiver, signed with HMAC-SHA256.
        st, orgs, _ = admin.call("GET", "/api/v1/orgs")
        fire = next(o for o in orgs if o["kind"] == "partner_agency")
        # New keys first (the demo's are not printed), then switch it on.
        st, keys, _ = admin.call("POST", f"/api/v1/sharing/partners/{fire['id']}/keys")
        if st != 200:
            raise RuntimeError(f"fire brigade keys: {st} {keys}")
        self.receiver.secret = keys["secret"]
        st, ep, _ = admin.call("PUT", f"/api/v1/sharing/partners/{fire['id']}/endpoint",
                               {"transport": "webhook", "url": self.receiver.url, "signing": "hmac-sha256",
                                "batch_size": 50, "max_attempts": 100, "enabled": True})
        if st != 200:
            raise RuntimeError(f"fire brigade endpoint: {st} {ep}")
        # A second partner on the JetStream path, under its own agreement.
        st, org, _ = admin.call("POST", "/api/v1/orgs", {"name": "诸暨市社会治理网格平台", "kind": "partner_agency",
                                                         "area_code": "330681"})
        if st != 201:
            raise RuntimeError(f"second partner: {st} {org}")
        st, a, _ = admin.call("POST", "/api/v1/sharing/agreements", {
            "partner_org_id": org["id"], "fields": {t: sorted(f) for t, f in STREAM_FIELDS.items()},
            "area_paths": ["/330681/"], "purpose": "网格平台同步警情", "valid_from": "2026-01-01", "valid_to": "2099-12-31"})
        if st != 201:
            raise RuntimeError(f"agreement: {st} {a}")
        st, ok, _ = self.api("secadmin").call("POST", f"/api/v1/sharing/agreements/{a['id']}/approve")
        if st != 200:
            raise RuntimeError(f"approve: {st} {ok}")
        st, ep, _ = admin.call("PUT", f"/api/v1/sharing/partners/{org['id']}/endpoint", {"transport": "jetstream"})
        if st != 200:
            raise RuntimeError(f"grid platform endpoint: {st} {ep}")
        # Both cursors are at or before the outbox's head now: every event after it must reach both.
        st, s1, _ = admin.call("GET", f"/api/v1/sharing/partners/{org['id']}")
        self.start = s1["head"]
        self.fire, self.grid = fire["id"], org["id"]

    def login(self, user):
        body = {"username": user, "password": self.logins[user]}
        if user in self.totp:
            body["totp"] = totp(self.totp[user])
        api = Api(self.server.url)
        st, doc, resp = api.call("POST", "/api/v1/session", body)
        api.close()
        if st != 200:
            raise RuntimeError(f"login {user}: {st} {doc}")
        for h in resp.headers.get_all("set-cookie") or []:
            if h.startswith("pingan_session="):
                return h.split(";", 1)[0]
        raise RuntimeError(f"login {user}: no session cookie")

    def api(self, user):
        return Api(self.server.url, self.cookies[user], timeout=10)

    def load(self, stop, rng):
        """Intake and dispatch until told to stop; errors while the server is down are expected."""
        api = self.api("dispatcher")
        while not stop.is_set():
            lng, lat = point(rng)
            try:
                st, inc, _ = api.call("POST", "/api/v1/incidents", {"type_code": "200200", "description": "共享演练",
                                                                     "address": "枫桥镇", "lng": lng, "lat": lat})
                if st != 201:
                    continue
                self.acked += 1
                st, rec, _ = api.call("GET", f"/api/v1/incidents/{inc['id']}/recommendations")
                if st == 200 and rec:
                    api.call("POST", f"/api/v1/incidents/{inc['id']}/actions",
                             {"action": "dispatch", "unit_ids": [rec[0]["unit_id"]]})
            except Exception:  # noqa: BLE001 — the server is being killed
                api.close()
                time.sleep(0.05)

    def round(self, r):
        stop = threading.Event()
        threads = [threading.Thread(target=self.load, args=(stop, random.Random(self.rng.random()))) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(self.rng.uniform(1.0, self.args.kill_max))
        self.server.kill()
        log(f"[{self.name}] round {r}: SIGKILL after {self.acked} acknowledged intakes so far")
        stop.set()
        for t in threads:
            t.join()
        self.server.start()

    def settle(self):
        """Waits until both partners have caught up with the outbox, or the deadline."""
        admin = self.api("admin")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            lags = []
            for p in (self.fire, self.grid):
                st, s, _ = admin.call("GET", f"/api/v1/sharing/partners/{p}")
                lags.append(s["lag_events"] if st == 200 else -1)
            if lags == [0, 0]:
                return
            time.sleep(0.5)
        self.problems.append(f"delivery did not catch up within 120 s (lag {lags})")

    def check(self):
        events = [e for e in outbox(self.db_url, os.path.join(self.data_dir, "pingan.db")) if e[0] > self.start]
        if not events:
            self.problems.append("no events in the outbox after the start: the load did nothing")
            return
        order = {e[1]: e[0] for e in events}
        nats = Nats(self.args.nats)
        try:
            streamed = nats.messages(self.stream)
            nats.delete(self.stream)
        finally:
            nats.s.close()
        for label, got, fields in (("webhook", self.receiver.events, None),
                                   ("jetstream", [m for _, m in streamed], STREAM_FIELDS)):
            first = {}
            for ev in got:
                first.setdefault(ev["id"], ev)
                allowed = fields[ev["type"]] if fields else WEBHOOK_FIELDS
                extra = set(ev["data"]) - allowed
                if extra:
                    self.problems.append(f"{label}: fields outside the agreement: {sorted(extra)}")
            missing = [i for i in order if i not in first]
            if missing:
                self.problems.append(f"{label}: {len(missing)} of {len(order)} events never arrived")
            # Order per incident, as a consumer that drops repeats of an id sees it.
            last = {}
            seen = set()
            for ev in got:
                if ev["id"] in seen or ev["id"] not in order:
                    continue
                seen.add(ev["id"])
                pos = order[ev["id"]]
                if last.get(ev["subject"], 0) > pos:
                    self.problems.append(f"{label}: incident {ev['subject']} out of order at {pos}")
                last[ev["subject"]] = pos
            dupes = len(got) - len(first)
            log(f"[{self.name}] {label}: {len(order)} events, all arrived: {not missing}; {dupes} repeats (at least once)")
        self.problems.extend(self.receiver.bad[:5])
        self.summary = (f"  {self.name}: {self.acked} intakes, {len(order)} events, "
                        f"{self.receiver.requests} webhook requests ({self.receiver.refused} refused by the partner), "
                        f"{len(streamed)} stream messages, problems: {len(self.problems)}")

    def run(self):
        self.setup()
        for r in range(1, self.args.rounds + 1):
            self.round(r)
        self.settle()
        self.server.stop()
        self.check()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--kill-max", type=float, default=6.0, help="latest kill, seconds into a round (default 6)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--backend", choices=["all", "sqlite", "postgres"], default="all")
    ap.add_argument("--nats", default=os.environ.get("PINGAN_TEST_NATS_URL", ""))
    args = ap.parse_args()
    require_all = os.environ.get("PINGAN_REQUIRE_ALL") == "1"
    if not args.nats:
        msg = "data sharing under SIGKILL: PINGAN_TEST_NATS_URL is not set"
        if require_all:
            print(f"FAILED: {msg} (PINGAN_REQUIRE_ALL=1 forbids skipping)", file=sys.stderr)
            return 1
        print(f"\n{'#' * 72}\n## SKIPPED: {msg}\n{'#' * 72}", file=sys.stderr)
        return 0
    seed = args.seed if args.seed is not None else random.randrange(10**9)
    log(f"seed {seed} (rerun with --seed {seed})")
    rng = random.Random(seed)
    failed, runs = False, []
    for b in (["sqlite", "postgres"] if args.backend == "all" else [args.backend]):
        drop, db_url = None, None
        if b == "postgres":
            admin = os.environ.get("PINGAN_TEST_POSTGRES_URL", "")
            if not admin:
                if require_all:
                    print("FAILED: PINGAN_TEST_POSTGRES_URL is not set", file=sys.stderr)
                    failed = True
                else:
                    print(f"\n{'#' * 72}\n## SKIPPED: data sharing on PostgreSQL\n{'#' * 72}", file=sys.stderr)
                continue
            db_url, drop = postgres_database(admin)
        run = Run(b, args, db_url, random.Random(rng.random()))
        run.summary = f"  {b}: did not finish"
        try:
            run.run()
        except Exception as e:  # noqa: BLE001
            run.problems.append(f"{type(e).__name__}: {e}")
            run.server.stop()
        finally:
            run.receiver.httpd.shutdown()
            if drop:
                drop()
        runs.append(run)
        failed |= bool(run.problems)
    print("\ndata sharing under SIGKILL: summary", flush=True)
    for r in runs:
        print(r.summary, flush=True)
        for p in r.problems[:20]:
            print(f"    {p}", flush=True)
    print("data sharing under SIGKILL: " + ("FAILED" if failed else "passed — every event delivered at least once, in order per incident"), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
