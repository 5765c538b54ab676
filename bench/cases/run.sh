#!/usr/bin/env bash
# 网上巡查 over a real database: CASES synthetic cases (ten steps each; default 100,000 → 1,000,000 steps)
# are written to a fresh SQLite demo database, then `pingan cases replay` — read every case and step,
# evaluate every clock of the default rule set, sort the findings, write them as JSON — is timed on one
# core. Issue 7's target: under 30 s. The engine alone: `cargo bench -p pingan-domain --bench case_rules`.
#
#   bench/cases/run.sh                  CASES=20000 bench/cases/run.sh
# Builds `pingan` (release) unless PINGAN_BIN names one; respects CARGO_TARGET_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
CASES="${CASES:-100000}"

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
echo "== writing $CASES synthetic cases"
"${PIN[@]}" "$PINGAN_BIN" cases synth --cases "$CASES" --seed 7
NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "== pingan cases replay --as-of $NOW (one core)"
START=$(date +%s.%N)
"${PIN[@]}" "$PINGAN_BIN" cases replay --as-of "$NOW" --out "$DIR/findings.json"
END=$(date +%s.%N)
python3 - "$START" "$END" "$CASES" "$DIR/findings.json" <<'PY'
import json, sys
start, end, cases, path = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
findings = json.load(open(path))
took = end - start
print(f"replay: {cases} cases, {cases * 10} steps (+ the demo's), {len(findings)} findings, {took:.2f} s end to end "
      f"(target < 30 s): {'PASS' if took < 30 else 'FAIL'}")
sys.exit(0 if took < 30 else 1)
PY
