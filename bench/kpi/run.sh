#!/usr/bin/env bash
# The district dashboard at size: `pingan demo --district-year COUNT --history-days DAYS` (default a
# million closed incidents over three years) on SQLite and, when PINGAN_BENCH_POSTGRES_URL (or
# PINGAN_TEST_POSTGRES_URL) names a server, on PostgreSQL in a fresh database; then the leader's
# district dashboard (/api/v1/kpi/dashboard?area=/330681/) for last month and last quarter, RUNS
# times each, wall time at the client over loopback (curl time_total), and the dashboard's incident
# incident counts printed. Issue 23's target: < 300 ms at the server.
#
#   bench/kpi/run.sh            COUNT=200000 DAYS=365 RUNS=5 bench/kpi/run.sh
# Builds `pingan` (release) unless PINGAN_BIN names one; respects CARGO_TARGET_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
COUNT="${COUNT:-1000000}"
DAYS="${DAYS:-1095}"
RUNS="${RUNS:-5}"
PG="${PINGAN_BENCH_POSTGRES_URL:-${PINGAN_TEST_POSTGRES_URL:-}}"

if [[ -z "${PINGAN_BIN:-}" ]]; then
  echo "== building pingan (release)"
  (cd "$ROOT" && scripts/build-web && cargo build --release --locked -p pingan --quiet)
  PINGAN_BIN="$TARGET/release/pingan"
fi

DIR="$(mktemp -d)"
trap 'kill "${DEMO:-0}" 2>/dev/null || true; rm -rf "$DIR"' EXIT

bench() {
  local backend="$1"
  local port=$((20000 + RANDOM % 20000))
  echo "== $backend: demo district with $COUNT incidents over $DAYS days (port $port)"
  "$PINGAN_BIN" demo --data-dir "$DIR/$backend" --port "$port" --district-year "$COUNT" \
    --history-days "$DAYS" > "$DIR/$backend.log" 2>&1 &
  DEMO=$!
  for _ in $(seq 1 2400); do
    grep -q "running at" "$DIR/$backend.log" && break
    kill -0 "$DEMO" 2>/dev/null || break
    sleep 0.5
  done
  grep -q "running at" "$DIR/$backend.log" || { cat "$DIR/$backend.log"; exit 1; }
  grep "district-year" "$DIR/$backend.log" || true
  local pw
  pw="$(grep 'login: leader /' "$DIR/$backend.log" | awk '{print $4}')"
  curl -sf -c "$DIR/jar" -o /dev/null -H 'content-type: application/json' \
    -d "{\"username\":\"leader\",\"password\":\"$pw\"}" "http://127.0.0.1:$port/api/v1/session"
  local month quarter
  month="$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01) - 1 day" +%Y-%m)"
  local m q y
  y="$(TZ=Asia/Shanghai date +%Y)"; m="$(TZ=Asia/Shanghai date +%-m)"; q=$(( (m - 1) / 3 ))
  if (( q == 0 )); then quarter="$((y - 1))-Q4"; else quarter="$y-Q$q"; fi
  printf '%-10s %-8s %6s %s\n' "period" "" "status" "seconds per run"
  for period in "$month" "$quarter"; do
    local times=() status=""
    for _ in $(seq 1 "$RUNS"); do
      local out
      out="$(curl -s -b "$DIR/jar" -o "$DIR/body.json" -w '%{http_code} %{time_total}' \
        "http://127.0.0.1:$port/api/v1/kpi/dashboard?area=/330681/&period=$period")"
      status="${out% *}"
      times+=("${out#* }")
    done
    printf '%-10s %-8s %6s %s\n' "$period" "district" "$status" "${times[*]}"
    python3 - "$DIR/body.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
f = next(f for g in d["groups"] for f in g["figures"] if f["key"] == "incidents.received")
print(f"           incidents {f['counts'][0]['count']} ({d['from']} – {d['to']}), previous {f['counts'][1]['count']}, a year before {f['counts'][2]['count']}")
PY
  done
  kill "$DEMO"; wait "$DEMO" 2>/dev/null || true
}

PINGAN_LOG=warn bench sqlite
if [[ -n "$PG" ]]; then
  db="pingan_bench_kpi"
  psql "$PG" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  PINGAN_LOG=warn PINGAN_DATABASE__URL="${PG%/*}/$db" bench postgres
  psql "$PG" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
else
  echo "== postgres: skipped (set PINGAN_BENCH_POSTGRES_URL)"
fi
