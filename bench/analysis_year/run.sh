#!/usr/bin/env bash
# A district-year of 信息研判 at the server: `pingan demo --district-year COUNT` (default 300,000
# incidents over the last 365 days: background, 300 hot places, near-repeat chains) on SQLite and,
# when PINGAN_BENCH_POSTGRES_URL (or PINGAN_TEST_POSTGRES_URL) names a server, on PostgreSQL in a
# fresh database; then the workbench's four questions over the whole district and year — hotspots
# (Gi* over the grids + KDE), repeat locations, trends (环比/同比), near-repeat (Knox, 99
# permutations, default bands 100/200/400 m × 3/7/14 days, and narrower 50/100 m × 1/3/7 days) —
# each asked RUNS times as the leader, wall time at the client (curl). Issue 20's target: each
# under 3 s.
#
#   bench/analysis_year/run.sh            COUNT=100000 RUNS=3 bench/analysis_year/run.sh
# Builds `pingan` (release) unless PINGAN_BIN names one; respects CARGO_TARGET_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
COUNT="${COUNT:-300000}"
RUNS="${RUNS:-3}"
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
  echo "== $backend: demo district with a district-year of $COUNT incidents (port $port)"
  "$PINGAN_BIN" demo --data-dir "$DIR/$backend" --port "$port" --district-year "$COUNT" \
    > "$DIR/$backend.log" 2>&1 &
  DEMO=$!
  for _ in $(seq 1 600); do
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
  local to from
  to="$(TZ=Asia/Shanghai date +%F)"
  from="$(TZ=Asia/Shanghai date -d "$to - 365 days" +%F)"
  local q="area=/330681/&from=$from&to=$to"
  printf '%-18s %8s %s\n' "question" "status" "seconds per run"
  # The last question: near-repeat with narrower bands (50/100 m, 1/3/7 days).
  for ep in hotspots repeat-locations trends near-repeat near-repeat-narrow; do
    local times=() status="" path="$ep" extra=""
    if [[ "$ep" == near-repeat-narrow ]]; then
      path=near-repeat
      extra="&space_bands=50,100&time_bands=1,3,7"
    fi
    for _ in $(seq 1 "$RUNS"); do
      local out
      out="$(curl -s -b "$DIR/jar" -o "$DIR/$ep.json" -w '%{http_code} %{time_total}' \
        "http://127.0.0.1:$port/api/v1/analysis/$path?$q$extra")"
      status="${out% *}"
      times+=("${out#* }")
    done
    printf '%-18s %8s %s\n' "$ep" "$status" "${times[*]}"
  done
  python3 - "$DIR" <<'PY'
import json, sys
d = sys.argv[1]
h = json.load(open(f"{d}/hotspots.json"))
print(f"   hotspots: {h['events']} incidents, frame {h['frame']} ({h['frame_cells']} of {h['cols'] * h['rows']} cells), "
      f"{sum(1 for c in h['cells'] if c['level'] > 0)} hot cells, {h['events_outside']} outside the grids")
for name in ["near-repeat", "near-repeat-narrow"]:
    n = json.load(open(f"{d}/{name}.json"))
    if "observed" in n:
        print(f"   {name}: {n['events']} incidents, observed {n['observed'][0]}, p {n['p_value'][0]}")
    else:
        print(f"   {name}: {n['error']['message']}")
PY
  echo "   server memory (VmHWM): $(grep VmHWM "/proc/$DEMO/status" | awk '{print $2, $3}')"
  kill "$DEMO"; wait "$DEMO" 2>/dev/null || true
}

PINGAN_LOG=warn bench sqlite
if [[ -n "$PG" ]]; then
  db="pingan_bench_year"
  psql "$PG" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  PINGAN_LOG=warn PINGAN_DATABASE__URL="${PG%/*}/$db" bench postgres
  psql "$PG" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
else
  echo "== postgres: skipped (set PINGAN_BENCH_POSTGRES_URL or PINGAN_TEST_POSTGRES_URL)"
fi
