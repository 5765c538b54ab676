#!/usr/bin/env bash
# Intake + dispatch load and GPS ingest against `pingan demo` on loopback (see README.md).
#
#   bench/dispatch/run.sh [--rate 200] [--seconds 60] [--batch 500] [--gps-rows 200000]
#
# Uses $PINGAN_BIN if set, else builds `cargo build --release -p pingan` (honours CARGO_TARGET_DIR).
# Creates target/bench-venv with aiohttp once. Writes bench/dispatch/results/latest.json (and the
# server's log beside it, server.log).
# Exits non-zero if a target is missed or any request failed.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/demo.sh"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$ROOT/target/bench-venv"

BIN="${PINGAN_BIN:-}"
if [[ -z "$BIN" ]]; then
  echo "== building pingan (release)"
  "$ROOT/scripts/build-web"
  (cd "$ROOT" && cargo build --release --locked -p pingan --quiet)
  BIN="$TARGET/release/pingan"
fi

if ! "$VENV/bin/python" -c "import aiohttp" 2>/dev/null; then
  echo "== creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiohttp>=3.9"
fi

mkdir -p "$HERE/results"
work="$(mktemp -d)"
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
start_demo "$BIN" "$work" "$HERE/results/server.log"
pid="$DEMO_PID"
url="$DEMO_URL"
pass="$(awk '$1 == "login:" && $2 == "dispatcher" {print $4}' "$work/out")"
[[ -n "$pass" ]] || { echo "no dispatcher login in the demo's output" >&2; exit 1; }

cpu="$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]] || commit="$commit+dirty"
echo "== machine: $(nproc) CPUs, ${cpu:-unknown CPU}; commit $commit; binary $BIN; server $url"

"$VENV/bin/python" "$HERE/load.py" --url "$url" --user dispatcher --password "$pass" \
  --raw-db "$work/raw.db" --out "$HERE/results/latest.json" \
  --machine "$(printf '{"nproc": %d, "cpu": "%s", "commit": "%s", "binary": "%s"}' "$(nproc)" "$cpu" "$commit" "$BIN")" \
  "$@"
