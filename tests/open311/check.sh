#!/usr/bin/env bash
# Open311 GeoReport v2 acceptance: starts `pingan demo` on a free port and runs check.py, which drives the
# endpoint with the unmodified PyPI client `georeport` (reads, json and xml) and spec-form POSTs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${PINGAN_BIN:-$root/target/debug/pingan}"
venv="$root/target/py-venv"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import georeport, sys; sys.exit(georeport.__version__ != '0.3.1')" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "georeport==0.3.1"
fi

work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" demo --port 0 --data-dir "$work/data" --seed 5 > "$work/out" 2> "$work/err" &
pid=$!
url=""
for _ in $(seq 1 600); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/out" | head -1 || true)"
  [[ -n "$url" ]] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; echo "demo exited early" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$url" ]] || { echo "demo did not start" >&2; exit 1; }

"$venv/bin/python" "$root/tests/open311/check.py" "$url"
