#!/usr/bin/env bash
# Outbox → webhook delivery at 200 changes/s for a minute, SQLite and PostgreSQL: see bench.py.
#   PINGAN_BIN=target/release/pingan PINGAN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres bench/sharing/run.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
exec python3 "$root/bench/sharing/bench.py" --bin "${PINGAN_BIN:-$root/target/release/pingan}" "$@"
