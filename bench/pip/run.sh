#!/usr/bin/env bash
# Point-in-polygon benchmark: pingan-geo vs geopandas.sjoin(predicate="within"), one core each.
#
#   bench/pip/run.sh            # 1,000,000 points (PIP_POINTS to change), 3 timed runs each
#
# 1. builds the pingan-geo examples (release) and generates bench/pip/data/{polygons.geojson,
#    points.csv}: 81 polygons, ~48,000 vertices, shared noisy edges, an enclave filling two holes;
# 2. creates bench/.venv (ignored by git through its own .gitignore) with geopandas, shapely and
#    pyogrio from PyPI, once;
# 3. times our locator and geopandas on the same files in this same run, pinned to one CPU;
# 4. compares the assignments point by point and prints points/s for both and the ratio.
# Exits non-zero if any assignment differs. Respects CARGO_TARGET_DIR and CARGO_BUILD_JOBS.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DATA="${PIP_DATA:-$HERE/data}"
VENV="$ROOT/bench/.venv"
POINTS="${PIP_POINTS:-1000000}"
REPEATS="${PIP_REPEATS:-3}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PY="${PYTHON:-python3}"

# One core for both tools: pin to the first CPU this process may use, if taskset exists.
PIN=()
if command -v taskset >/dev/null 2>&1; then
  CPU="$(taskset -pc $$ | sed 's/.*: *//; s/[,-].*//')"
  PIN=(taskset -c "$CPU")
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

echo "== building pingan-geo examples (release)"
(cd "$ROOT" && cargo build --release -p pingan-geo --examples --quiet)
BIN="$TARGET/release/examples"

mkdir -p "$DATA"
if [[ ! -s "$DATA/points.csv" || ! -s "$DATA/polygons.geojson" || "$(($(wc -l < "$DATA/points.csv") - 1))" != "$POINTS" ]]; then
  echo "== generating data in $DATA"
  "$BIN/pip_gen" "$DATA" "$POINTS"
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "== creating $VENV"
  "$PY" -m venv "$VENV"
  printf '*\n' > "$VENV/.gitignore"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "geopandas>=1.0" "shapely>=2.0" "pyogrio>=0.7" "pandas>=2.0"
fi

echo "== pingan-geo (single thread)"
"${PIN[@]}" "$BIN/pip_run" "$DATA/polygons.geojson" "$DATA/points.csv" code "$DATA/pingan.csv" "$REPEATS" \
  | tee "$DATA/pingan.json"

echo "== geopandas sjoin(predicate=\"within\") and comparison"
"${PIN[@]}" "$VENV/bin/python" "$HERE/geopandas_pip.py" \
  "$DATA/polygons.geojson" "$DATA/points.csv" code "$DATA/pingan.csv" "$DATA/pingan.json" "$REPEATS" \
  | tee "$DATA/summary.json"

echo "== whole processes: pingan analyze pip (every core) vs a geopandas script (one core)"
PINGAN_BIN="${PINGAN_BIN:-$TARGET/release/pingan}"
if [[ ! -x "$PINGAN_BIN" ]]; then
  (cd "$ROOT" && cargo build --release -p pingan --quiet)
fi
"${PIN[@]}" "$VENV/bin/python" "$HERE/whole_process.py" "$PINGAN_BIN" \
  "$DATA/polygons.geojson" "$DATA/points.csv" code "$DATA" "$REPEATS" | tee "$DATA/whole.json"

