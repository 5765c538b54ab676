#!/usr/bin/env bash
# Parallel logins against `pingan demo`: the server's RSS stays under a bound, the logins beyond the
# password-check gate get 503 + Retry-After, none hang (see README.md).
#
#   bench/login_burst/run.sh [--parallel 300] [--bursts 3] [--max-rss-mb 160]
#
# Uses $PINGAN_BIN if set, else builds `cargo build --release -p pingan` (honours CARGO_TARGET_DIR).
# The per-address login limit is turned off so that every request reaches the password check.
# Writes bench/login_burst/results/latest.json. Exits non-zero if the bound is exceeded, a login
# hangs, or a 503 comes without Retry-After.
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
work="$(mktemp -d)"
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
start_demo "$BIN" "$work" "$HERE/results/server.log" PINGAN_AUTH__LOGIN_PER_IP_PER_MINUTE=0 PINGAN_LOG=warn
pid="$DEMO_PID"
url="$DEMO_URL"
# Two accounts log in with their right password inside every burst (officer, chief).
accounts="$(awk '$1 == "login:" && ($2 == "officer" || $2 == "chief") {printf "%s[\"%s\", \"%s\"]", (n++ ? ", " : ""), $2, $4}' "$work/out")"

cpu="$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]] || commit="$commit+dirty"
echo "== machine: $(nproc) CPUs, ${cpu:-unknown CPU}; commit $commit; binary $BIN; server $url (pid $pid)"

python3 "$HERE/burst.py" --url "$url" --pid "$pid" --accounts "[$accounts]" --out "$HERE/results/latest.json" \
  --machine "$(printf '{"nproc": %d, "cpu": "%s", "commit": "%s", "binary": "%s"}' "$(nproc)" "$cpu" "$commit" "$BIN")" \
  "$@"
