#!/usr/bin/env bash
# Live streams and memory: opens and closes 200 SSE connections (GET /api/v1/board/stream) five times
# against `pingan demo` and reads the server's RSS after each cycle (see README.md). Then the same
# against a server started with glibc's malloc told to give memory back (arena_max=2,
# trim_threshold=128 KiB): if the growth of the first pass goes away there, it was the allocator
# keeping freed pages, not a leak. Both passes check that the server's own counts of open streams and
# connections come back to where they started.
#
#   bench/sse_memory/run.sh [--streams 200] [--cycles 5]
#
# Uses $PINGAN_BIN if set, else builds `cargo build --release -p pingan`. Writes
# bench/sse_memory/results/{default,trimmed}.json.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/demo.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

BIN="${PINGAN_BIN:-}"
if [[ -z "$BIN" ]]; then
  echo "== building pingan (release)"
  "$ROOT/scripts/build-web"
  (cd "$ROOT" && cargo build --release --locked -p pingan --quiet)
  BIN="$TARGET/release/pingan"
fi
mkdir -p "$HERE/results"
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "== machine: $(nproc) CPUs; commit $commit; binary $BIN"

pass() {
  local label="$1"; shift
  local work pid url user pass token
  work="$(mktemp -d)"
  # One account opens every stream: lift the per-account cap for the measurement.
  start_demo "$BIN" "$work" "$HERE/results/$label.log" "$@" PINGAN_SERVER__STREAMS_PER_ACCOUNT=1000 PINGAN_LOG=warn
  pid="$DEMO_PID"
  url="$DEMO_URL"
  read -r user pass < <(awk '$1 == "login:" && $2 == "dispatcher" {print $2, $4}' "$work/out")
  token="$(grep -o 'Bearer [^"]*' "$work/out" | head -1 | cut -d' ' -f2)"
  sleep 3  # let start-up work (briefs, inspection) finish before the baseline
  echo "== pass $label: $url (pid $pid) ${*:-default allocator settings}"
  local rc=0
  python3 "$HERE/sse.py" --url "$url" --pid "$pid" --user "$user" --password "$pass" --token "$token" \
    --label "$label ${*:-}" --out "$HERE/results/$label.json" "${ARGS[@]}" || rc=$?
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$work"
  return $rc
}

ARGS=("$@")
rc=0
pass default || rc=1
pass trimmed GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=131072 || rc=1
exit $rc
