#!/usr/bin/env python3
"""Crash safety: SIGKILL the server under concurrent writes; every acknowledged write must survive.

For each backend (SQLite; PostgreSQL when PINGAN_TEST_POSTGRES_URL is set, in a fresh database that is
dropped afterwards):

1. `pingan demo` creates the demo district (users, areas, grids) once and is stopped; from then on the
   server is `pingan serve` on the same data directory / database URL (the production path).
2. Two sessions are opened (officer, chief: both may record incidents and manage disputes); the session
   cookies are reused across restarts (sessions live in the database, so a lost session is a lost write).
3. Each round (the server started afresh): worker threads record incidents (POST /api/v1/incidents) and walk disputes through
   register → session → joint mediation (org) → escalate → agreement → close; every 2xx answer is written
   to the ledger with the ids, numbers, status and tier it returned. At a random moment the server gets
   SIGKILL. Then, with the server down, `pingan audit verify` must pass, its record count must have grown
   by at least the round's acknowledged writes (each commits its own audit record), and on SQLite
   `PRAGMA quick_check` must say ok; the server is restarted, /healthz must answer, and every
   acknowledged write of the round is read back through the API: present, same number, at least the
   acknowledged status/tier, its sessions, org, agreement (with its follow-ups). Requests in flight at the kill are "unknown" (either outcome is
   fine); for intakes we count how many of them did commit (a kill between commit and answer).
4. The background jobs write during every round: their periods are forced to one second
   (mediation.sweep_seconds, cases.inspect_seconds, analysis.brief_check_seconds, crypto.rekey_seconds)
   and, with the server down before each restart, the driver gives each of them work — tier clocks of
   earlier disputes run out during the round, the 网上巡查 alerts and the 研判简报 are cleared so they
   are written again, and the field key is rotated so every sealed value is re-sealed. Rounds take
   turns: a random kill anywhere in the window, or a kill aimed at one job (the driver watches the
   database and kills as soon as that job has written part of its work).
5. After the last round every acknowledged write of every round is read back again, the rotation must
   finish (no value left under an old key), and the jobs' own writes must be whole: every 网上巡查
   alert has its history, every dispute's tier is that of its latest event (no more mismatches than
   the demo had). Then the server is stopped with SIGTERM and the audit chain verified once more.

Any loss, any 5xx, any unexpected answer or transport error while the server was not being killed, a
duplicate incident/dispute number, or an audit failure makes the exit status non-zero.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

# 枫桥镇 in crates/server/src/demo.rs: south-west corner, cell size, 8 × 2 cells. Cell centres ± 0.2 of a
# cell lie inside the cell's polygon whatever the lattice jitter (≤ 0.18) and edge noise, so every point
# below has a grid, a village and the 枫桥 station — inside the officer's and the chief's scope.
FQ_LNG, FQ_LAT, FQ_W, FQ_H, FQ_COLS, FQ_ROWS = 120.360, 29.600, 0.0120, 0.0110, 8, 2
INCIDENT_TYPES = ["100100", "200200", "200100"]
CHANNELS = ["call_110", "grid_report", "patrol"]
STATUS_ORDER = {"mediating": 0, "agreed": 1, "closed": 2}
TIER_ORDER = {"grid": 0, "village": 1, "township": 2, "district": 3}
FOLLOWUPS_PER_AGREEMENT = 2  # mediation.followup.days = [7, 30] by default
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


def log(msg):
    print(f"crash: {msg}", file=sys.stderr, flush=True)


def point(rng):
    i, j = rng.randrange(FQ_COLS), rng.randrange(FQ_ROWS)
    return (
        round(FQ_LNG + (i + 0.5 + rng.uniform(-0.2, 0.2)) * FQ_W, 6),
        round(FQ_LAT + (j + 0.5 + rng.uniform(-0.2, 0.2)) * FQ_H, 6),
    )


class Api:
    """One keep-alive HTTP/1.1 connection with a session cookie."""

    def __init__(self, base, cookie=None, timeout=30):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.cookie = cookie
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method, path, body=None):
        """(status, decoded JSON or None, headers). Transport errors propagate."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        if self.cookie:
            headers["cookie"] = self.cookie
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            raw = resp.read()
        except BaseException:
            self.close()
            raise
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = raw[:200].decode(errors="replace")
        return resp.status, doc, resp


class Problems:
    """Everything that makes the run fail, with a cap on how much is printed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []
        self.server_errors = 0

    def add(self, msg, server_error=False):
        with self.lock:
            self.items.append(msg)
            if server_error:
                self.server_errors += 1
        if len(self.items) <= 20:
            log(f"PROBLEM: {msg}")


class Ledger:
    """Acknowledged writes. Incidents: one write each. Disputes: one record per dispute, one write per
    acknowledged step (register, session, org, escalate, agree, close)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.incidents = []  # {round, id, number, status, token}
        self.disputes = {}  # id -> {round, id, number, status, tier, sessions, orgs, agreement, steps}
        self.writes = 0
        self.unknown = []  # {round, op, token?}

    def ack_incident(self, rec):
        with self.lock:
            self.incidents.append(rec)
            self.writes += 1

    def ack_dispute(self, rec):
        with self.lock:
            self.disputes[rec["id"]] = rec
            self.writes += 1

    def ack_step(self, dispute_id, change):
        with self.lock:
            d = self.disputes[dispute_id]
            change(d)
            d["steps"] += 1
            self.writes += 1

    def in_flight(self, rec):
        with self.lock:
            self.unknown.append(rec)


class Killed(Exception):
    """The transport failed while the server was being killed: the request's outcome is unknown."""


class Worker:
    def __init__(self, base, cookie, ledger, problems, killing, rnd, tid, seed):
        self.api = Api(base, cookie)
        self.ledger, self.problems, self.killing = ledger, problems, killing
        self.round, self.tid = rnd, tid
        self.rng = random.Random(seed)
        self.n = 0

    def call(self, op, method, path, body, expect, token=None):
        """The decoded answer of a write that must answer `expect`; None after a non-2xx answer
        (reported); raises Killed when the server went away."""
        try:
            status, doc, _ = self.api.call(method, path, body)
        except TRANSPORT_ERRORS as e:
            if self.killing.is_set():
                rec = {"round": self.round, "op": op}
                if token:
                    rec["token"] = token
                self.ledger.in_flight(rec)
                raise Killed() from e
            self.problems.add(f"round {self.round} {op}: transport error while the server was up: {e!r}")
            raise Killed() from e
        if status != expect:
            self.problems.add(
                f"round {self.round} {op}: {method} {path} answered {status} (expected {expect}): {str(doc)[:300]}",
                server_error=status >= 500,
            )
            return None
        return doc if doc is not None else {}

    def token(self, what):
        self.n += 1
        return f"crash r{self.round} t{self.tid} {what} #{self.n} {uuid.uuid4().hex[:8]}"


class IncidentWorker(Worker):
    def run(self):
        try:
            while True:
                lng, lat = point(self.rng)
                token = self.token("incident")
                body = {
                    "channel": self.rng.choice(CHANNELS),
                    "type_code": self.rng.choice(INCIDENT_TYPES),
                    "description": token,
                    "address": f"枫桥镇测试路 {self.rng.randrange(1, 300)} 号",
                    "lng": lng,
                    "lat": lat,
                    "caller_name": "王先生",
                    "caller_phone": f"139{self.rng.randrange(10**8):08d}",
                }
                doc = self.call("intake", "POST", "/api/v1/incidents", body, 201, token=token)
                if doc is None:
                    continue
                self.ledger.ack_incident(
                    {
                        "round": self.round,
                        "id": doc["id"],
                        "number": doc["number"],
                        "status": doc["status"],
                        "token": token,
                    }
                )
        except Killed:
            pass
        finally:
            self.api.close()


class DisputeWorker(Worker):
    def run(self):
        try:
            while True:
                self.one_dispute()
        except Killed:
            pass
        finally:
            self.api.close()

    def one_dispute(self):
        lng, lat = point(self.rng)
        token = self.token("dispute")
        doc = self.call(
            "dispute.register",
            "POST",
            "/api/v1/disputes",
            {
                "type_code": "02",
                "title": token[:100],
                "description": f"{token}：两户因围墙界址发生争执",
                "address": f"枫桥镇测试村 {self.rng.randrange(1, 300)} 号",
                "lng": lng,
                "lat": lat,
                "parties": [
                    {"role": "applicant", "name": "张三", "phone": f"138{self.rng.randrange(10**8):08d}"},
                    {"role": "respondent", "name": "李四"},
                ],
            },
            201,
        )
        if doc is None:
            return
        did = doc["id"]
        self.ledger.ack_dispute(
            {
                "round": self.round,
                "id": did,
                "number": doc["number"],
                "status": doc["status"],
                "tier": doc["tier"],
                "sessions": [],
                "orgs": [],
                "agreement": None,
                "steps": 1,
            }
        )
        base = f"/api/v1/disputes/{did}"

        doc = self.call(
            "dispute.session",
            "POST",
            f"{base}/sessions",
            {"place": "村委会调解室", "attendees": "双方当事人、网格员", "notes": f"第一次调解 {token}"},
            201,
        )
        if doc is None:
            return
        sid = doc["id"]
        self.ledger.ack_step(did, lambda d: d["sessions"].append(sid))
        if self.rng.random() < 0.3:
            return  # still being mediated: later rounds' tier clocks run out on it

        org = self.rng.choice(["枫桥镇司法所", "枫桥派出所", "陈家社区村委会"])
        if self.call("dispute.org", "POST", f"{base}/orgs", {"org_name": org, "org_kind": "other", "lead": True}, 204) is None:
            return
        self.ledger.ack_step(did, lambda d: d["orgs"].append(org))

        doc = self.call("dispute.escalate", "POST", f"{base}/actions", {"action": "escalate", "note": "上交村级"}, 200)
        if doc is None:
            return
        st, tier = doc["status"], doc["tier"]
        self.ledger.ack_step(did, lambda d: d.update(status=st, tier=tier))

        doc = self.call(
            "dispute.agree",
            "POST",
            f"{base}/agreement",
            {
                "facts": "两户因围墙界址发生争执",
                "issues": "围墙位置",
                "responsibilities": "双方各担一半",
                "terms": [{"content": "按原界址重砌围墙", "performer": "张三", "due_date": "2027-06-30"}],
                "mediator": "孙调解",
                "committee": "枫桥镇人民调解委员会",
            },
            201,
        )
        if doc is None:
            return
        aid = doc["id"]
        self.ledger.ack_step(did, lambda d: d.update(agreement=aid, status="agreed"))

        doc = self.call("dispute.close", "POST", f"{base}/actions", {"action": "close", "note": "协议已履行"}, 200)
        if doc is None:
            return
        st = doc["status"]
        self.ledger.ack_step(did, lambda d: d.update(status=st))


class Server:
    def __init__(self, bin_path, env, work, label):
        self.bin, self.env, self.work, self.label = bin_path, env, work, label
        self.proc = None
        self.url = None
        self.starts = 0

    def start(self, args=("serve",), timeout=180):
        self.starts += 1
        out_path = os.path.join(self.work, f"{self.label}-{self.starts}.out")
        err_path = os.path.join(self.work, f"{self.label}-{self.starts}.err")
        self.out_path, self.err_path = out_path, err_path
        with open(out_path, "w") as out, open(err_path, "w") as err:
            self.proc = subprocess.Popen([self.bin, *args], env=self.env, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = open(out_path).read()
            m = re.search(r"http://(127\.0\.0\.1:\d+)/", text)
            if m:
                self.url = f"http://{m.group(1)}/"
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.bin} {' '.join(args)} exited ({self.proc.returncode}): {open(err_path).read()[-2000:]}")
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{self.bin} {' '.join(args)} printed no URL within {timeout} s")
        api = Api(self.url, timeout=5)
        while time.monotonic() < deadline:
            try:
                status, _, _ = api.call("GET", "/healthz")
                if status == 200:
                    return open(out_path).read()
            except TRANSPORT_ERRORS:
                pass
            finally:
                api.close()
            time.sleep(0.05)
        raise RuntimeError("/healthz did not answer 200")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def panics(self):
        out = []
        for i in range(1, self.starts + 1):
            p = os.path.join(self.work, f"{self.label}-{i}.err")
            if os.path.exists(p):
                out += [line.strip() for line in open(p, errors="replace") if "panicked" in line]
        return out


def audit_verify(bin_path, env):
    """(ok, records verified or None, output)."""
    p = subprocess.run([bin_path, "audit", "verify"], env=env, capture_output=True, text=True, timeout=300)
    text = (p.stdout + p.stderr).strip()
    m = re.search(r"audit chain intact: (\d+) records verified", p.stdout)
    return p.returncode == 0 and m is not None, int(m.group(1)) if m else None, text


def sqlite_quick_check(path):
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as e:
        return f"error: {e}"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class Database:
    """Direct reads and writes of the server's database, for priming and watching the background jobs
    (SQLite through the sqlite3 module, PostgreSQL through psql)."""

    def __init__(self, sqlite_path=None, pg_url=None):
        self.sqlite_path, self.pg_url = sqlite_path, pg_url

    def run(self, sql, write=False):
        """The rows of `sql` (one statement), as lists of strings/ints."""
        if self.sqlite_path:
            uri = f"file:{self.sqlite_path}" + ("" if write else "?mode=ro")
            con = sqlite3.connect(uri, uri=True, timeout=10)
            try:
                rows = con.execute(sql).fetchall()
                if write:
                    con.commit()
                return [list(r) for r in rows]
            finally:
                con.close()
        p = subprocess.run(
            ["psql", self.pg_url, "-v", "ON_ERROR_STOP=1", "-AtXq", "-F", "\t", "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if p.returncode != 0:
            raise RuntimeError(f"psql: {p.stderr.strip()[:500]}")
        return [line.split("\t") for line in p.stdout.splitlines() if line]

    def scalar(self, sql):
        rows = self.run(sql)
        return int(rows[0][0]) if rows and rows[0][0] not in (None, "") else 0

    def random_below(self, n):
        """SQL for a random integer in [0, n) per row."""
        return f"(abs(random()) % {n})" if self.sqlite_path else f"floor(random() * {n})::bigint"


class Jobs:
    """The background jobs' work in each round: primed with the server down, watched while it runs.

    tier_clock       mediation sweep: earlier rounds' disputes (no client touches them again) get tier
                     deadlines inside the round, so escalations run while clients write
    case_inspection  网上巡查: every alert and its history is cleared, so the first sweeps write them anew
    brief            研判简报: every brief is cleared, so the first check composes them all again
    rekey            a new field key each round with the earlier ones listed as old: every sealed value is
                     re-sealed in batches, blind indexes recomputed
    """

    NAMES = ["tier_clock", "case_inspection", "brief", "rekey"]
    PERIODS = {
        "PINGAN_MEDIATION__SWEEP_SECONDS": "1",
        "PINGAN_CASES__INSPECT_SECONDS": "1",
        "PINGAN_ANALYSIS__BRIEF_CHECK_SECONDS": "1",
        "PINGAN_CRYPTO__REKEY_SECONDS": "1",
    }
    ESCALATIONS = "SELECT count(*) FROM dispute_events WHERE action = 'escalate' AND actor_id IS NULL"

    def __init__(self, db, env, rng):
        self.db, self.env, self.rng = db, env, rng
        self.keys = [("k1", rng.randbytes(16).hex())]
        env.update(self.PERIODS)
        env["PINGAN_CRYPTO__FIELD_KEY_ID"], env["PINGAN_CRYPTO__FIELD_KEY"] = self.keys[0]
        self.goal = {}  # job -> (detector SQL, value when done)
        self.start = {}  # job -> detector value at the restart
        self.hits = {n: [] for n in self.NAMES}  # job -> ["done x of y at the kill", ...]
        self.work = {n: 0 for n in self.NAMES}  # job -> items primed over the run
        self.briefs_seen = 0  # a kill may leave fewer briefs (and alerts) than there are to write
        self.alerts_seen = 0

    def rotate(self, r):
        """Round r's server seals with a new key; every earlier key stays readable."""
        self.keys.append((f"r{r}", self.rng.randbytes(16).hex()))
        kid, key = self.keys[-1]
        self.env["PINGAN_CRYPTO__FIELD_KEY_ID"], self.env["PINGAN_CRYPTO__FIELD_KEY"] = kid, key
        self.env["PINGAN_CRYPTO__OLD_FIELD_KEYS"] = json.dumps([f"{i}:{k}" for i, k in self.keys[:-1]])
        return kid

    def stale_sql(self):
        kid = self.keys[-1][0]
        return f"SELECT count(*) FROM dispute_parties WHERE name_sealed NOT LIKE '{kid}:%'"

    def prime(self, r, now_micros, window_s, aimed):
        """With the server down: give every job its work for round r (the aimed one all at once)."""
        db = self.db
        # The only server is down, so every lease it held is void: cleared, so the next start resumes at
        # once (a lease's own expiry, two minutes for re-keying, is what the final check waits through).
        db.run("DELETE FROM job_leases", write=True)
        # Tier clocks: earlier disputes still mediating below the district run out inside the round
        # (the aimed round: all at the start).
        spread = 1 if aimed == "tier_clock" else max(1, int(window_s * 1_000_000))
        due = self.db.scalar(
            "SELECT count(*) FROM disputes WHERE status = 'mediating' AND tier <> 'district'"
        )
        n = min(due, 300)
        db.run(
            f"UPDATE disputes SET tier_due = {now_micros} + {db.random_below(spread)} WHERE id IN "
            f"(SELECT id FROM disputes WHERE status = 'mediating' AND tier <> 'district' ORDER BY id LIMIT {n})",
            write=True,
        )
        esc = db.scalar(self.ESCALATIONS)
        self.goal["tier_clock"] = (self.ESCALATIONS, esc + n)
        self.start["tier_clock"] = esc
        self.work["tier_clock"] += n
        # 网上巡查: clear alerts and their history; the engine writes them again.
        alerts = max(db.scalar("SELECT count(*) FROM case_alerts"), self.alerts_seen)
        self.alerts_seen = alerts
        db.run("DELETE FROM case_alert_events", write=True)
        db.run("DELETE FROM case_alerts", write=True)
        self.goal["case_inspection"] = ("SELECT count(*) FROM case_alerts", alerts)
        self.start["case_inspection"] = 0
        self.work["case_inspection"] += alerts
        # 研判简报: cleared; the first check composes every subject's daily and weekly brief again.
        briefs = max(db.scalar("SELECT count(*) FROM briefs WHERE content IS NOT NULL"), self.briefs_seen)
        self.briefs_seen = briefs
        db.run("DELETE FROM briefs", write=True)
        self.goal["brief"] = ("SELECT count(*) FROM briefs WHERE content IS NOT NULL", briefs)
        self.start["brief"] = 0
        self.work["brief"] += briefs
        # Re-key: a new key; every dispute party's name is stale until the sweep re-seals it.
        self.rotate(r)
        stale = db.scalar(self.stale_sql())
        self.goal["rekey"] = (f"SELECT {stale} - ({self.stale_sql()})", stale)
        self.start["rekey"] = 0
        self.work["rekey"] += stale

    def progress(self, job):
        sql, goal = self.goal[job]
        return self.db.scalar(sql) - self.start[job], goal - self.start[job]

    def wait_writing(self, job, fraction, timeout):
        """Blocks until `job` has written `fraction` of its work (at least one item; or the timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done, total = self.progress(job)
            if done > 0 and done >= fraction * total:
                return done, total
            time.sleep(0.005)
        return self.progress(job)

    def record_kill(self, job, done, total):
        self.hits[job].append((done, total))

    def summary(self):
        parts = []
        for n in self.NAMES:
            mid = [f"{d}/{t}" for d, t in self.hits[n] if 0 < d < t]
            ends = len(self.hits[n]) - len(mid)
            parts.append(
                f"{n}: {self.work[n]} items primed, killed mid-write {len(mid)}×"
                + (f" ({', '.join(mid)} done)" if mid else "")
                + (f", {ends}× before or after its work" if ends else "")
            )
        return parts


class BackendRun:
    def __init__(self, name, args, db_url, rng):
        self.name, self.args, self.db_url, self.rng = name, args, db_url, rng
        self.work = tempfile.mkdtemp(prefix=f"pingan-crash-{name}-")
        self.data_dir = os.path.join(self.work, "data")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PINGAN_")}
        env["PINGAN_LOG"] = os.environ.get("PINGAN_LOG", "warn")
        env["PINGAN_SERVER__DATA_DIR"] = self.data_dir
        env["PINGAN_SERVER__LISTEN"] = "127.0.0.1:0"
        if db_url:
            env["PINGAN_DATABASE__URL"] = db_url
        self.env = env
        self.jobs = Jobs(None, env, random.Random(rng.random()))
        self.whole = None
        self.server = Server(args.bin, env, self.work, "server")
        self.ledger = Ledger()
        self.problems = Problems()
        self.kills = []  # seconds after load start
        self.audits = []  # records verified after each kill
        self.audit_base = None  # records after the demo set-up
        self.verified = 0
        self.lost = 0
        self.unknown_committed = 0
        self.unknown_intakes = 0

    # ---- set-up -------------------------------------------------------------------------------
    def setup(self):
        log(f"[{self.name}] creating the demo district (pingan demo, once) in {self.work}")
        t = time.monotonic()
        demo = Server(self.args.bin, self.env, self.work, "demo")
        out = demo.start(("demo", "--port", "0", "--data-dir", self.data_dir, "--seed", "7"), timeout=600)
        demo.stop()
        ok, n, text = audit_verify(self.args.bin, self.env)
        if not ok:
            raise RuntimeError(f"pingan audit verify after the demo set-up failed: {text[-1000:]}")
        self.audit_base = n
        # Open cases for 网上巡查 to work through (one transaction per case with findings).
        p = subprocess.run(
            [self.args.bin, "cases", "synth", "--cases", str(self.args.cases), "--seed", "7"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if p.returncode != 0:
            raise RuntimeError(f"pingan cases synth failed: {(p.stdout + p.stderr)[-1000:]}")
        ok, n, text = audit_verify(self.args.bin, self.env)
        if not ok:
            raise RuntimeError(f"pingan audit verify after cases synth failed: {text[-1000:]}")
        self.audit_base = n
        logins = dict(
            (m.group(1), m.group(2)) for m in re.finditer(r"login: (\S+) / (\S+) / ", out)
        )
        for user in ("officer", "chief", "auditor"):
            if user not in logins:
                raise RuntimeError(f"demo printed no login for {user}: {out[:1000]}")
        self.logins = logins
        log(f"[{self.name}] demo ready in {time.monotonic() - t:.1f} s; from now on `pingan serve`")

    def login(self, user):
        api = Api(self.server.url)
        status, doc, resp = api.call("POST", "/api/v1/session", {"username": user, "password": self.logins[user]})
        api.close()
        if status != 200:
            raise RuntimeError(f"login {user}: {status} {doc}")
        for h in resp.headers.get_all("set-cookie") or []:
            if h.startswith("pingan_session="):
                return h.split(";", 1)[0]
        raise RuntimeError(f"login {user}: no pingan_session cookie")

    # ---- one round ----------------------------------------------------------------------------
    def aim(self, r):
        """What round r's kill aims at: a job (taking turns) or, every fifth round, a random moment."""
        turn = (r - 1) % (len(Jobs.NAMES) + 1)
        return None if turn == 0 else Jobs.NAMES[turn - 1]

    def round(self, r):
        aimed = self.aim(r)
        self.jobs.prime(r, int(time.time() * 1_000_000), self.args.kill_max, aimed)
        self.server.start()
        killing = threading.Event()
        workers = []
        for tid in range(self.args.threads):
            cookie = self.cookies[tid % len(self.cookies)]
            cls = IncidentWorker if tid % 2 == 0 else DisputeWorker
            workers.append(cls(self.server.url, cookie, self.ledger, self.problems, killing, r, tid, self.rng.random()))
        writes_before = self.ledger.writes
        threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
        started = time.time()
        t0 = time.monotonic()
        for t in threads:
            t.start()
        if aimed:
            # Kill once the job has committed a random part of its work.
            self.jobs.wait_writing(aimed, self.rng.uniform(0.0, 0.9), timeout=self.args.kill_max)
        else:
            delay = self.rng.uniform(self.args.kill_min, self.args.kill_max)
            time.sleep(max(0.0, t0 + delay - time.monotonic()))
        killing.set()
        self.server.kill()
        at = time.monotonic() - t0
        self.kills.append(at)
        for t in threads:
            t.join(timeout=60)
            if t.is_alive():
                self.problems.add(f"round {r}: a client thread hung after the kill")
        acked = self.ledger.writes - writes_before
        job_state = []
        for job in Jobs.NAMES:
            done, total = self.jobs.progress(job)
            self.jobs.record_kill(job, done, total)
            job_state.append(f"{job} {done}/{total}")

        ok, n, text = audit_verify(self.args.bin, self.env)
        prev = self.audits[-1] if self.audits else self.audit_base
        self.audits.append(n)
        if not ok:
            self.problems.add(f"round {r}: pingan audit verify after SIGKILL failed: {text[-1000:]}")
        elif prev is not None and n < prev + acked:
            # Every acknowledged write committed at least one audit record in its own transaction.
            self.problems.add(
                f"round {r}: the audit chain grew by {n - prev} records, fewer than the {acked} acknowledged writes"
            )
        qc = None
        if self.db_url is None:
            qc = sqlite_quick_check(os.path.join(self.data_dir, "pingan.db"))
            if qc != "ok":
                self.problems.add(f"round {r}: SQLite quick_check after SIGKILL: {qc}")

        self.server.start()
        lost_before, verified_before = self.lost, self.verified
        self.verify(lambda rec: rec["round"] == r)
        committed, intakes = self.probe_unknown(r, started)
        self.server.stop()
        in_flight = sum(1 for u in self.ledger.unknown if u["round"] == r)
        log(
            f"[{self.name}] round {r}: killed at {at:.2f} s ({'aimed at ' + aimed if aimed else 'random'}; "
            f"jobs done at the kill: {', '.join(job_state)}), {acked} writes acknowledged, "
            f"{self.verified - verified_before} verified, {self.lost - lost_before} lost; "
            f"{in_flight} in flight at the kill ({committed} of {intakes} intakes had committed); "
            f"audit verify {'ok' if ok else 'FAILED'} ({n} records)" + (f"; quick_check {qc}" if qc else "")
        )

    def jobs_whole(self):
        """The jobs' own writes are whole after all the kills: re-keying finishes; every alert has its
        history; every dispute's tier is its latest event's (no more mismatches than the demo had)."""
        deadline = time.monotonic() + 120
        stale = self.db.scalar(self.jobs.stale_sql())
        while stale and time.monotonic() < deadline:
            time.sleep(0.5)
            stale = self.db.scalar(self.jobs.stale_sql())
        if stale:
            self.problems.add(f"re-keying did not finish after the kills: {stale} values still under an old key")
        orphans = self.db.scalar(
            "SELECT count(*) FROM case_alerts a WHERE NOT EXISTS "
            "(SELECT 1 FROM case_alert_events e WHERE e.alert_id = a.id)"
        )
        if orphans:
            self.problems.add(f"{orphans} 网上巡查 alerts without their history (a torn job write)")
        mismatched = self.db.scalar(self.TIER_MISMATCH)
        if mismatched > self.tier_mismatch_base:
            self.problems.add(
                f"{mismatched} disputes whose tier is not their latest event's (the demo had {self.tier_mismatch_base})"
            )
        return stale, orphans, mismatched

    # The latest event in write order: ids are UUIDv7 made inside the writing transaction, after the
    # dispute's row is held, so they sort as the writes took effect (an entry's `at` is when its actor
    # acted, which for a mediator's step can be a moment before a concurrent writer's).
    TIER_MISMATCH = (
        "SELECT count(*) FROM disputes d WHERE d.tier <> (SELECT e.tier FROM dispute_events e "
        "WHERE e.dispute_id = d.id ORDER BY e.id DESC LIMIT 1)"
    )

    # ---- checks -------------------------------------------------------------------------------
    def verify(self, select):
        incidents = [i for i in self.ledger.incidents if select(i)]
        disputes = [d for d in self.ledger.disputes.values() if select(d)]
        local = threading.local()

        def api():
            if not hasattr(local, "api"):
                local.api = Api(self.server.url, self.cookies[0])
            return local.api

        def get(path):
            status, doc, _ = api().call("GET", path)
            if status >= 500:
                self.problems.add(f"GET {path} answered {status}: {str(doc)[:300]}", server_error=True)
            return status, doc

        def check_incident(rec):
            status, doc = get(f"/api/v1/incidents/{rec['id']}")
            if status == 404:
                return 0, 1, [f"LOST incident {rec['number']} ({rec['id']}, round {rec['round']})"]
            if status != 200:
                return 0, 1, [f"incident {rec['id']}: GET answered {status}"]
            bad = []
            if doc["number"] != rec["number"]:
                bad.append(f"incident {rec['id']}: number {doc['number']} != acknowledged {rec['number']}")
            if doc["description"] != rec["token"]:
                bad.append(f"incident {rec['id']}: description changed")
            return (1, 0, []) if not bad else (0, 1, bad)

        def check_dispute(rec):
            status, doc = get(f"/api/v1/disputes/{rec['id']}")
            steps = rec["steps"]
            if status == 404:
                return 0, steps, [f"LOST dispute {rec['number']} ({rec['id']}, round {rec['round']}) with {steps} acknowledged writes"]
            if status != 200:
                return 0, steps, [f"dispute {rec['id']}: GET answered {status}"]
            ok, bad = 1, []  # the registration
            if doc["number"] != rec["number"]:
                ok, bad = 0, [f"dispute {rec['id']}: number {doc['number']} != acknowledged {rec['number']}"]
            have_sessions = {s["id"] for s in doc["sessions"]}
            for sid in rec["sessions"]:
                if sid in have_sessions:
                    ok += 1
                else:
                    bad.append(f"LOST session {sid} of dispute {rec['number']}")
            have_orgs = {o["org_name"] for o in doc["orgs"]}
            for org in rec["orgs"]:
                if org in have_orgs:
                    ok += 1
                else:
                    bad.append(f"LOST org {org} of dispute {rec['number']}")
            # escalate, agree, close: the stored state is at least the acknowledged one.
            n_state = steps - 1 - len(rec["sessions"]) - len(rec["orgs"])
            state_ok = (
                STATUS_ORDER.get(doc["status"], -1) >= STATUS_ORDER[rec["status"]]
                and TIER_ORDER.get(doc["tier"], -1) >= TIER_ORDER[rec["tier"]]
            )
            if rec["agreement"]:
                agreements = {a["id"] for a in doc["agreements"]}
                followups = [f for f in doc["followups"] if f["agreement_id"] == rec["agreement"]]
                if rec["agreement"] not in agreements:
                    state_ok = False
                    bad.append(f"LOST agreement {rec['agreement']} of dispute {rec['number']}")
                elif len(followups) != FOLLOWUPS_PER_AGREEMENT:
                    state_ok = False
                    bad.append(f"dispute {rec['number']}: agreement has {len(followups)} follow-ups, not {FOLLOWUPS_PER_AGREEMENT}")
            if state_ok:
                ok += n_state
            else:
                bad.append(
                    f"dispute {rec['number']}: stored {doc['status']}/{doc['tier']} is behind acknowledged {rec['status']}/{rec['tier']}"
                )
            if len(doc["timeline"]) < steps:
                bad.append(f"dispute {rec['number']}: {len(doc['timeline'])} timeline entries for {steps} acknowledged steps")
            return ok, steps - ok, bad

        jobs = [(check_incident, i) for i in incidents] + [(check_dispute, d) for d in disputes]
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda j: self.safe(j[0], j[1]), jobs))
        for ok, lost, bad in results:
            self.verified += ok
            self.lost += lost
            for b in bad:
                self.problems.add(b)

    def safe(self, fn, rec):
        try:
            return fn(rec)
        except TRANSPORT_ERRORS as e:
            return 0, rec.get("steps", 1), [f"reading back {rec['id']}: transport error {e!r}"]

    def probe_unknown(self, r, started):
        """How many intakes that were in flight at the kill had committed (found by their token)."""
        tokens = {u["token"] for u in self.ledger.unknown if u["round"] == r and "token" in u}
        if not tokens:
            return 0, 0
        api = Api(self.server.url, self.cookies[0])
        status, doc, _ = api.call("GET", f"/api/v1/incidents?status=all&limit=1000&since={iso(started - 5)}")
        api.close()
        if status != 200:
            self.problems.add(f"round {r}: listing incidents answered {status}")
            return 0, len(tokens)
        found = sum(1 for i in doc if i["description"] in tokens)
        self.unknown_committed += found
        self.unknown_intakes += len(tokens)
        return found, len(tokens)

    def check_numbers(self):
        for kind, recs in (("incident", self.ledger.incidents), ("dispute", list(self.ledger.disputes.values()))):
            seen = {}
            for rec in recs:
                if rec["number"] in seen:
                    self.problems.add(f"{kind} number {rec['number']} acknowledged twice ({seen[rec['number']]} and {rec['id']})")
                seen[rec["number"]] = rec["id"]

    # ---- the whole backend --------------------------------------------------------------------
    def run(self):
        t = time.monotonic()
        self.setup()
        self.db = Database(
            sqlite_path=None if self.db_url else os.path.join(self.data_dir, "pingan.db"), pg_url=self.db_url
        )
        self.jobs.db = self.db
        self.tier_mismatch_base = self.db.scalar(self.TIER_MISMATCH)
        self.server.start()
        self.cookies = [self.login("officer"), self.login("chief")]
        self.server.stop()
        for r in range(1, self.args.rounds + 1):
            self.round(r)
        self.server.start()
        if self.args.self_check:
            # Pretend the client saw one more intake acknowledged: an id that was never written.
            self.ledger.incidents.append(
                {"round": 0, "id": str(uuid.uuid4()), "number": "SELF-CHECK", "status": "received", "token": "-"}
            )
            self.ledger.writes += 1
            log(f"[{self.name}] --self-check: added one acknowledged intake that was never written")
        log(f"[{self.name}] reading back all {self.ledger.writes} acknowledged writes of every round")
        self.verified, self.lost = 0, 0
        self.verify(lambda rec: True)
        self.check_numbers()
        self.whole = self.jobs_whole()
        self.server.stop()
        ok, n, text = audit_verify(self.args.bin, self.env)
        self.final_audit = (ok, n)
        if not ok:
            self.problems.add(f"final pingan audit verify failed: {text[-1000:]}")
        elif self.audits and self.audits[-1] is not None and n < self.audits[-1]:
            self.problems.add(f"the audit chain shrank from {self.audits[-1]} to {n} records")
        for p in self.server.panics():
            self.problems.add(f"server log: {p}")
        self.seconds = time.monotonic() - t

    def cleanup(self, keep):
        self.server.stop()
        if keep or self.problems.items:
            log(f"[{self.name}] logs and data kept in {self.work}")
            with open(os.path.join(self.work, "ledger.json"), "w") as f:
                json.dump(
                    {"incidents": self.ledger.incidents, "disputes": self.ledger.disputes, "unknown": self.ledger.unknown},
                    f,
                    ensure_ascii=False,
                    indent=1,
                )
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def summary(self):
        n_inc = len(self.ledger.incidents)
        n_disp = len(self.ledger.disputes)
        k = sorted(self.kills)
        audit_ok = all(a is not None for a in self.audits) and self.final_audit[0]
        return "\n".join(
            [
                f"  backend {self.name}: {self.args.rounds} rounds, {self.args.threads} client threads, {self.seconds:.0f} s",
                f"    writes acknowledged {self.ledger.writes} ({n_inc} intakes, {n_disp} disputes, "
                f"{self.ledger.writes - n_inc - n_disp} dispute steps); verified {self.verified}; LOST {self.lost}",
                f"    in flight at the kills (outcome unknown, not counted): {len(self.ledger.unknown)}; "
                f"intakes among them that had committed: {self.unknown_committed} of {self.unknown_intakes}",
                f"    SIGKILL after load start: min {k[0]:.2f} s, median {statistics.median(k):.2f} s, max {k[-1]:.2f} s"
                if k
                else "    no kills",
                f"    audit verify after each kill: {'all ok' if all(a is not None for a in self.audits) else 'FAILED'} "
                f"(records {', '.join(str(a) for a in self.audits)}); after the last stop: "
                f"{'ok' if self.final_audit[0] else 'FAILED'} ({self.final_audit[1]} records)",
                "    background jobs (periods 1 s): " + "; ".join(self.jobs.summary()),
                (
                    f"    after the kills: values under an old key {self.whole[0]}, alerts without history "
                    f"{self.whole[1]}, disputes whose tier is not their latest event's {self.whole[2]} "
                    f"(demo: {self.tier_mismatch_base})"
                    if self.whole
                    else "    after the kills: not checked"
                ),
                f"    5xx answers {self.problems.server_errors}; problems {len(self.problems.items)}"
                + ("" if audit_ok else "; AUDIT FAILED"),
            ]
        )


def postgres_database(admin_url):
    """Creates a fresh database on the server of `admin_url`; returns (its URL, a function dropping it)."""
    if shutil.which("psql") is None:
        raise RuntimeError("psql not found (needed to create and drop the test database)")
    name = f"pingan_crash_{uuid.uuid4().hex[:10]}"
    u = urllib.parse.urlsplit(admin_url)
    url = urllib.parse.urlunsplit(u._replace(path=f"/{name}"))

    def psql(sql):
        subprocess.run(["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-qXc", sql], check=True, capture_output=True, text=True)

    psql(f'CREATE DATABASE "{name}"')
    log(f"[postgres] created database {name}")

    def drop():
        try:
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            log(f"[postgres] dropped database {name}")
        except subprocess.CalledProcessError as e:
            log(f"[postgres] could not drop database {name}: {e.stderr.strip()}")

    return url, drop


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rounds", type=int, default=5, help="kills per backend (default 5)")
    ap.add_argument("--threads", type=int, default=6, help="client threads; even: intake, odd: disputes (default 6)")
    ap.add_argument("--kill-min", type=float, default=0.0, help="earliest random kill, seconds after load start (default 0)")
    ap.add_argument(
        "--kill-max",
        type=float,
        default=15.0,
        help="latest random kill, seconds after load start; also how long an aimed kill waits for its job (default 15)",
    )
    ap.add_argument("--cases", type=int, default=600, help="synthetic open cases for 网上巡查 to inspect (default 600)")
    ap.add_argument("--seed", type=int, default=None, help="seed for kill moments and payloads (default: random, printed)")
    ap.add_argument("--backend", choices=["all", "sqlite", "postgres"], default="all")
    ap.add_argument("--keep", action="store_true", help="keep the data directory, server logs and ledger")
    ap.add_argument(
        "--self-check",
        action="store_true",
        help="add one acknowledged intake that was never written: the run must report 1 loss per backend and fail",
    )
    args = ap.parse_args()
    if args.rounds < 1 or args.threads < 2 or not (0 <= args.kill_min <= args.kill_max):
        ap.error("need --rounds ≥ 1, --threads ≥ 2 and 0 ≤ --kill-min ≤ --kill-max")
    seed = args.seed if args.seed is not None else random.randrange(10**9)
    log(f"seed {seed} (rerun with --seed {seed}); binary {args.bin}")
    rng = random.Random(seed)

    runs, failed, notes = [], False, []
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    for b in backends:
        drop = None
        db_url = None
        if b == "postgres":
            admin = os.environ.get("PINGAN_TEST_POSTGRES_URL", "")
            if not admin:
                if os.environ.get("PINGAN_REQUIRE_ALL") == "1":
                    notes.append("  backend postgres: NOT RUN — PINGAN_TEST_POSTGRES_URL is not set (PINGAN_REQUIRE_ALL=1 forbids skipping)")
                    failed = True
                else:
                    notes.append("  backend postgres: SKIPPED — PINGAN_TEST_POSTGRES_URL is not set")
                    bar = "#" * 72
                    print(f"\n{bar}\n## SKIPPED: crash safety on PostgreSQL: PINGAN_TEST_POSTGRES_URL is not set\n{bar}", file=sys.stderr)
                continue
            db_url, drop = postgres_database(admin)
        run = BackendRun(b, args, db_url, random.Random(rng.random()))
        try:
            run.run()
        except Exception as e:  # noqa: BLE001 — any failure of the harness fails the run, with its reason
            run.problems.add(f"{type(e).__name__}: {e}")
            run.seconds = 0
            run.final_audit = (False, None)
        finally:
            run.cleanup(args.keep)
            if drop:
                drop()
        runs.append(run)
        failed |= bool(run.problems.items) or run.lost > 0

    print("\ncrash safety (SIGKILL) summary", flush=True)
    for run in runs:
        print(run.summary(), flush=True)
    for note in notes:
        print(note, flush=True)
    total_lost = sum(r.lost for r in runs)
    if failed:
        problems = sum(len(r.problems.items) for r in runs)
        print(f"crash safety: FAILED ({total_lost} acknowledged writes lost, {problems} problems{'; ' + notes[-1].strip() if notes else ''})", flush=True)
        return 1
    print(f"crash safety: passed — {sum(r.ledger.writes for r in runs)} acknowledged writes, 0 lost", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
