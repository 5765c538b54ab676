#!/usr/bin/env bash
# Open311 GeoReport v2 acceptance: starts `pingan demo` on a free port and runs check.py, which drives the
# endpoint with the unmodified PyPI client `georeport` (reads, json and xml) and spec-form POSTs.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/demo.sh"
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
start_demo "$bin" "$work" "$work/err"
pid="$DEMO_PID"
url="$DEMO_URL"

"$venv/bin/python" "$root/tests/open311/check.py" "$url"
