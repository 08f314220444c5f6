#!/usr/bin/env bash
# Browser tests: the real `attaka` centre node (C001) on a fresh SQLite database filled by
# `attaka demo`, on a free port, serving the real SPA from web/dist, with the prefecture hub and
# a second centre (C002) beside it, connected by real sync; Playwright (npm
# playwright-core) drives Debian's /usr/bin/chromium headless through node's test runner.
# Builds only what is missing; always stops the servers; exits non-zero when a test fails.
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
# build-web.sh names the wasm by a hash of its content (attaka-web_bg-<hash>.wasm).
if [[ ! -f web/dist/index.html ]] || ! compgen -G 'web/dist/attaka-web_bg*.wasm' > /dev/null; then
    log "web/dist is missing: building the SPA"
    bash scripts/build-web.sh
fi
# A no-op when scripts/test.sh (nextest) already built it.
log "cargo build -p api"
cargo build -p api --quiet

work="$(mktemp -d -t attaka-e2e.XXXXXX)"
artifacts="${repo_root}/e2e/artifacts"
mkdir -p "${artifacts}"
# shellcheck source=scripts/lib/nodes.sh
source scripts/lib/nodes.sh

cleanup() {
    local status=$? name
    node_stop_all
    if ((status != 0)); then
        for name in c001 hub c002; do
            [[ -f "${work}/${name}/server.log" ]] || continue
            cp "${work}/${name}/server.log" "${artifacts}/server-${name}.log"
            log "${name} log (last 30 lines; whole log in e2e/artifacts/server-${name}.log):"
            tail -n 30 "${work}/${name}/server.log" >&2 || true
        done
    fi
    rm -rf "${work}"
    exit "${status}"
}
trap cleanup EXIT INT TERM

free_port() {
    node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# The app under test is centre C001. Beside it run the prefecture hub and a second centre,
# C002, as in production: C001 and C002 deliver to the hub through real sync, pull its period
# locks, and take part in the duplicate hint (on at the hub, a key on each centre), so the
# screens show real synchronisation and real hints.
port="$(free_port)"
hub_port="$(free_port)"
c002_port="$(free_port)"
base_url="http://127.0.0.1:${port}"
hub_url="http://127.0.0.1:${hub_port}"
c002_url="http://127.0.0.1:${c002_port}"
hint_key="$(node_hint_key)"
export NODE_SYNC_INTERVAL_MS=300 NODE_SYNC_RETRY_MAX_MS=2000 NODE_LOCKS_INTERVAL_MS=2000

# node name, role, centre (or -), port
write_config() {
    local name="$1" role="$2" center="$3" port="$4" dir="${work}/$1"
    mkdir -p "${dir}"
    {
        node_config "${dir}" "${role}" "${center}" "${port}" "${hub_url}" "${hint_key}" "${repo_root}/web/dist"
        echo
        echo "[log]"
        echo "level = \"warn\""
        # Municipality officers see small cells suppressed (k = 10), so the browser tests can
        # check how the figures screens show ＊; the other roles see exact figures.
        echo
        echo "[stats.suppression]"
        echo "municipality = 10"
        echo "integrator = 10"
    } >"${dir}/attaka.toml"
}

write_config hub hub - "${hub_port}"
write_config c001 center C001 "${port}"
write_config c002 center C002 "${c002_port}"

log "fresh databases with demo data (attaka demo): hub, C001, C002"
for name in hub c001 c002; do
    "${attaka}" --config "${work}/${name}/attaka.toml" demo >"${work}/${name}/demo.txt" 2>>"${work}/${name}/server.log"
done
for center in C001 C002; do
    node_issue_credential "${work}/hub/attaka.toml" "${center}" "${work}/${center,,}/sync-credential" \
        2>>"${work}/hub/server.log"
done

log "starting the hub on ${hub_url}, C001 (under test) on ${base_url}, C002 on ${c002_url}"
node_start "${work}/hub/attaka.toml" "${work}/hub/server.log"
node_wait_ready hub "${hub_url}" "${work}/hub/server.log"
node_start "${work}/c001/attaka.toml" "${work}/c001/server.log"
node_start "${work}/c002/attaka.toml" "${work}/c002/server.log"
node_wait_ready C001 "${base_url}" "${work}/c001/server.log"
node_wait_ready C002 "${c002_url}" "${work}/c002/server.log"

log "running the browser tests"
cd e2e
# Paths given relative to the repository root still work from e2e/.
set -- "${@#e2e/}"
ATTAKA_E2E_BASE_URL="${base_url}" ATTAKA_E2E_HUB_URL="${hub_url}" ATTAKA_E2E_C002_URL="${c002_url}" \
    ATTAKA_E2E_CHROMIUM="${chromium}" \
    node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
    "${@:-tests/}"
