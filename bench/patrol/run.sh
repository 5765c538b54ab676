#!/usr/bin/env bash
# Issue 21's patrol target over a real database: one day of UNITS units pinging every 10 s (200 →
# about 1.7 M pings) against POSTS posts (500) of a station's published plans. `pingan patrol synth`
# writes them into a fresh SQLite demo database through the GPS ingest (and times the same rows as
# plain inserts: the ingest should keep ≥ 50 % of their speed); then `pingan patrol day` — read every
# unit's track for the day's windows, check every post — is timed on one core (target < 2 s).
#
#   bench/patrol/run.sh                 UNITS=50 POSTS=100 bench/patrol/run.sh
# Builds `pingan` (release) unless PINGAN_BIN names one; respects CARGO_TARGET_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
UNITS="${UNITS:-200}"
POSTS="${POSTS:-500}"

if [[ -z "${PINGAN_BIN:-}" ]]; then
  echo "== building pingan (release)"
  (cd "$ROOT" && scripts/build-web && cargo build --release -p pingan --quiet)
  PINGAN_BIN="$TARGET/release/pingan"
fi
PIN=()
if command -v taskset >/dev/null 2>&1; then
  PIN=(taskset -c "$(taskset -pc $$ | sed 's/.*: *//; s/[,-].*//')")
fi

DIR="$(mktemp -d)"
trap 'kill "${DEMO:-0}" 2>/dev/null || true; rm -rf "$DIR"' EXIT
PORT=$((20000 + RANDOM % 20000))
echo "== demo district in $DIR (port $PORT)"
"$PINGAN_BIN" demo --data-dir "$DIR" --port "$PORT" > "$DIR/demo.log" 2>&1 &
DEMO=$!
for _ in $(seq 1 120); do
  grep -q "running at" "$DIR/demo.log" && break
  sleep 0.5
done
grep -q "running at" "$DIR/demo.log" || { cat "$DIR/demo.log"; exit 1; }
kill "$DEMO"; wait "$DEMO" 2>/dev/null || true

export PINGAN_DATABASE__URL="sqlite:$DIR/pingan.db" PINGAN_LOG=warn
DAY="$(date -u -d '2 days ago' +%Y-%m-%d)"
echo "== writing $UNITS units pinging every 10 s for $DAY, $POSTS posts"
"${PIN[@]}" "$PINGAN_BIN" patrol synth --date "$DAY" --units "$UNITS" --posts "$POSTS" --seed 7 > "$DIR/synth.json"
echo "== pingan patrol day --date $DAY (one core), three runs"
for run in 1 2 3; do
  "${PIN[@]}" "$PINGAN_BIN" patrol day --date "$DAY" > "$DIR/day$run.json"
done
python3 - "$DIR/synth.json" "$DIR/day1.json" "$DIR/day2.json" "$DIR/day3.json" <<'PY'
import json, sys
synth = json.load(open(sys.argv[1]))
days = [json.load(open(p)) for p in sys.argv[2:]]
share = synth["raw_seconds"] / synth["ingest_seconds"]
print(f"ingest: {synth['pings']} pings in {synth['ingest_seconds']:.2f} s, plain inserts {synth['raw_seconds']:.2f} s: "
      f"{share*100:.0f} % of plain speed (target ≥ 50 %): {'PASS' if share >= 0.5 else 'FAIL'}")
best = min(d["read_seconds"] + d["check_seconds"] for d in days)
for d in days:
    print(f"day: {d['plans']} plans, {d['posts']} posts, {d['checked']} checked in, {d['units']} units, "
          f"{d['fixes']} fixes; read {d['read_seconds']:.2f} s + check {d['check_seconds']:.2f} s")
print(f"best of three: {best:.2f} s (target < 2 s): {'PASS' if best < 2 else 'FAIL'}")
sys.exit(0 if best < 2 and share >= 0.5 else 1)
PY
