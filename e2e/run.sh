#!/usr/bin/env bash
# Browser tests: the real `attaka` centre node (C001) on a fresh SQLite database filled by
# `attaka demo`, on a free port, serving the real SPA from web/dist; Playwright (npm
# playwright-core) drives Debian's /usr/bin/chromium headless through node's test runner.
# Builds only what is missing; always stops the server; exits non-zero when a test fails.
# Screenshots of the main screens land in docs/screenshots/ (1280×768).
# Usage: bash e2e/run.sh [test files…]   (default: every file in e2e/tests/)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

log() { printf 'e2e: %s\n' "$*" >&2; }

target_dir="${CARGO_TARGET_DIR:-${repo_root}/target}"
attaka="${target_dir}/debug/attaka"
chromium="${ATTAKA_E2E_CHROMIUM:-/usr/bin/chromium}"

[[ -x "${chromium}" ]] || {
    log "no Chromium at ${chromium}: run ATTAKA_WITH_BROWSER=1 bash scripts/setup.sh"
    exit 1
}
[[ -d e2e/node_modules/playwright-core ]] || {
    log "e2e/node_modules missing: run ATTAKA_WITH_BROWSER=1 bash scripts/setup.sh (npm ci in e2e/)"
    exit 1
}
if [[ ! -f web/dist/index.html || ! -f web/dist/attaka-web_bg.wasm ]]; then
    log "web/dist is missing: building the SPA"
    bash scripts/build-web.sh
fi
# A no-op when scripts/test.sh (nextest) already built it.
log "cargo build -p api"
cargo build -p api --quiet

work="$(mktemp -d -t attaka-e2e.XXXXXX)"
artifacts="${repo_root}/e2e/artifacts"
mkdir -p "${artifacts}"
server_pid=""

cleanup() {
    local status=$?
    if [[ -n "${server_pid}" ]] && kill -0 "${server_pid}" 2>/dev/null; then
        kill "${server_pid}" 2>/dev/null || true
        wait "${server_pid}" 2>/dev/null || true
    fi
    if ((status != 0)) && [[ -f "${work}/server.log" ]]; then
        cp "${work}/server.log" "${artifacts}/server.log"
        log "server log (last 40 lines; whole log in e2e/artifacts/server.log):"
        tail -n 40 "${work}/server.log" >&2 || true
    fi
    rm -rf "${work}"
    exit "${status}"
}
trap cleanup EXIT INT TERM

port="$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')"
base_url="http://127.0.0.1:${port}"

# Municipality officers see small cells suppressed (k = 10), so the browser tests can check
# how the figures screens show ＊; the other roles see exact figures, as in the demo.
cat >"${work}/attaka.toml" <<TOML
[node]
role = "center"
center = "C001"
data_dir = "${work}"

[server]
listen = "127.0.0.1:${port}"
static_dir = "${repo_root}/web/dist"

[database]
url = "sqlite://${work}/attaka.sqlite3"

[log]
level = "warn"

[stats.suppression]
municipality = 10
integrator = 10
TOML

log "fresh database with demo data (attaka demo)"
"${attaka}" --config "${work}/attaka.toml" demo >"${work}/demo.txt" 2>>"${work}/server.log"

log "starting attaka on ${base_url}"
"${attaka}" --config "${work}/attaka.toml" serve >>"${work}/server.log" 2>&1 &
server_pid=$!
healthy() {
    node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
        "${base_url}/healthz"
}
for _ in $(seq 1 100); do
    if healthy; then
        break
    fi
    if ! kill -0 "${server_pid}" 2>/dev/null; then
        log "attaka exited during start-up"
        exit 1
    fi
    sleep 0.1
done
healthy || {
    log "attaka did not answer on ${base_url}/healthz"
    exit 1
}

log "running the browser tests"
cd e2e
# Paths given relative to the repository root still work from e2e/.
set -- "${@#e2e/}"
ATTAKA_E2E_BASE_URL="${base_url}" ATTAKA_E2E_CHROMIUM="${chromium}" \
    node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
    "${@:-tests/}"
