#!/usr/bin/env bash
# THE test command: installs what is missing, then lint, build and every test suite.
# Stops at the first failing step with a non-zero exit. Used as is by .ci/run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*" >&2; }

# Browser tests need Chromium and e2e/node_modules; install them only once such tests exist.
if [[ -f e2e/run.sh ]]; then
    export ATTAKA_WITH_BROWSER="${ATTAKA_WITH_BROWSER:-1}"
fi

step "setup (scripts/setup.sh)"
bash scripts/setup.sh

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

# Host lints cover the default members (api, shared); web only builds for wasm32.
step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings

step "cargo clippy -p web --target wasm32-unknown-unknown -- -D warnings"
cargo clippy -p web --target wasm32-unknown-unknown -- -D warnings

# `shared` must keep building for the browser on its own, not only through web's features.
step "cargo check -p shared --target wasm32-unknown-unknown"
cargo check -p shared --target wasm32-unknown-unknown

step "build the SPA (scripts/build-web.sh)"
bash scripts/build-web.sh
# The first-load size test (api/tests/api/web_assets.rs) must then find the build.
export ATTAKA_REQUIRE_WEB_DIST=1

if cargo nextest --version >/dev/null 2>&1; then
    step "cargo nextest run --no-fail-fast"
    cargo nextest run --no-fail-fast
    if [[ -z "${ATTAKA_TEST_MSSQL_URL:-}" ]]; then
        printf '\nSQL Server: ATTAKA_TEST_MSSQL_URL is not set, so the store suite'"'"'s SQL Server\n'
        printf 'variants above printed SKIPPED and ran nothing on SQL Server; the HTTP tests that\n'
        printf 'start a hub ran it on SQLite only, and the SQL Server backup test printed SKIPPED.\n'
        printf 'The run check below (scripts/run.sh --check) also runs its hub on SQLite.\n'
    fi
    # nextest does not run doctests.
    step "cargo test --doc"
    cargo test --doc
else
    step "cargo test --no-fail-fast"
    cargo test --no-fail-fast
fi

# The README run command's system (hub + two centres, demo data, real sync), checked end to end.
step "bash scripts/run.sh --check"
bash scripts/run.sh --check

# The centre node for Windows: built for x86_64-pc-windows-gnu (debug) and run under Wine
# (migrate, demo, serve, login, a person, the disk watch, backup/restore, audit, clean stop).
step "bash scripts/windows-smoke.sh"
bash scripts/windows-smoke.sh

# docker/compose.yml (SQL Server, the hub on it, a centre) against the Compose Specification's
# schema: no container engine runs here, so the file is checked, not run.
step "node --test e2e/compose/ (docker/compose.yml)"
(cd e2e && node --test compose/)

if [[ -f e2e/run.sh ]]; then
    step "browser tests (e2e/run.sh)"
    bash e2e/run.sh
fi

step "all checks passed"
