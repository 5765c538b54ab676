#!/usr/bin/env bash
# 信息研判 kernels: pingan vs the peers analysts trust, same inputs, same run, one core each.
#
#   bench/analysis/run.sh                 # all three: gistar, kde, mclp
#   bench/analysis/run.sh gistar mclp     # some of them
#
# 1. builds `pingan` (release) unless PINGAN_BIN names one;
# 2. creates bench/.venv (git-ignored) with esda, libpysal, scikit-learn, spopt and pulp (CBC), once;
# 3. compare.py generates the inputs (seeded), times `pingan analyze …` end to end (reading the CSV,
#    computing, writing the output) and the peer's computation alone (inputs already in memory),
#    checks that the answers agree, prints the ratios and writes bench/analysis/results/latest.json.
# Exits non-zero when answers disagree or a target is missed. Respects CARGO_TARGET_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/bench/.venv"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PY="${PYTHON:-python3}"

PIN=()
if command -v taskset >/dev/null 2>&1; then
  CPU="$(taskset -pc $$ | sed 's/.*: *//; s/[,-].*//')"
  PIN=(taskset -c "$CPU")
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1

if [[ -z "${PINGAN_BIN:-}" ]]; then
  echo "== building pingan (release)"
  (cd "$ROOT" && cargo build --release -p pingan --quiet)
  PINGAN_BIN="$TARGET/release/pingan"
fi

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import esda, sklearn, spopt, pulp" 2>/dev/null; then
  echo "== creating $VENV with the peers"
  "$PY" -m venv "$VENV"
  printf '*\n' > "$VENV/.gitignore"
  "$VENV/bin/pip" install --quiet esda libpysal scikit-learn spopt pulp numpy scipy pandas
fi

mkdir -p "$HERE/data" "$HERE/results"
"${PIN[@]}" "$VENV/bin/python" "$HERE/compare.py" --pingan "$PINGAN_BIN" --data "$HERE/data" \
  --results "$HERE/results/latest.json" "$@"
