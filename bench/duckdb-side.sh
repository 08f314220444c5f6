#!/usr/bin/env bash
# The DuckDB column of docs/benchmarks.md: makes a venv (outside the repository), installs
# duckdb from PyPI into it — for the benchmark only, never for Attaka — and times the same
# aggregations as `attaka bench` on the facts of a SQLite hub.
#   bench/duckdb-side.sh /tmp/attaka-bench/pref.sqlite3 2025 [C001] [7]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${ATTAKA_BENCH_VENV:-/tmp/attaka-bench-duckdb-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'duckdb>=1.1,<2'
fi
exec "$venv/bin/python" "$here/duckdb_side.py" "$@"
