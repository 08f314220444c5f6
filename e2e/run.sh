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
pids=()

cleanup() {
    local status=$? pid name
    for pid in "${pids[@]}"; do
        kill "${pid}" 2>/dev/null || true
        wait "${pid}" 2>/dev/null || true
    done
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
hint_key="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"

# node name, role, centre (or -), port
write_config() {
    local name="$1" role="$2" center="$3" port="$4" dir="${work}/$1"
    mkdir -p "${dir}"
    {
        echo "[node]"
        echo "role = \"${role}\""
        [[ "${center}" != - ]] && echo "center = \"${center}\""
        echo "data_dir = \"${dir}\""
        echo
        echo "[server]"
        echo "listen = \"127.0.0.1:${port}\""
        echo "static_dir = \"${repo_root}/web/dist\""
        echo
        echo "[database]"
        echo "url = \"sqlite://${dir}/attaka.sqlite3\""
        echo
        echo "[log]"
        echo "level = \"warn\""
        # Municipality officers see small cells suppressed (k = 10), so the browser tests can
        # check how the figures screens show ＊; the other roles see exact figures.
        echo
        echo "[stats.suppression]"
        echo "municipality = 10"
        echo "integrator = 10"
        echo
        echo "[duplicate_hint]"
        if [[ "${role}" == hub ]]; then
            echo "enabled = true"
        else
            echo "key = \"${hint_key}\""
            echo
            echo "[sync]"
            echo "hub_url = \"${hub_url}\""
            echo "interval_ms = 300"
            echo "retry_max_ms = 2000"
            echo "locks_interval_ms = 2000"
        fi
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
    "${attaka}" --config "${work}/hub/attaka.toml" sync issue-credential --center "${center}" \
        >"${work}/${center,,}/sync-credential" 2>>"${work}/hub/server.log"
done

start() {
    local name="$1" credential=""
    [[ -f "${work}/${name}/sync-credential" ]] && credential="$(cat "${work}/${name}/sync-credential")"
    if [[ -n "${credential}" ]]; then
        ATTAKA_SYNC__CREDENTIAL="${credential}" "${attaka}" --config "${work}/${name}/attaka.toml" serve \
            >>"${work}/${name}/server.log" 2>&1 &
    else
        "${attaka}" --config "${work}/${name}/attaka.toml" serve >>"${work}/${name}/server.log" 2>&1 &
    fi
    pids+=("$!")
}

healthy() {
    node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
        "$1/healthz"
}

wait_healthy() {
    local name="$1" url="$2"
    for _ in $(seq 1 100); do
        if healthy "${url}"; then
            return 0
        fi
        sleep 0.1
    done
    log "${name} did not answer on ${url}/healthz"
    exit 1
}

log "starting the hub on ${hub_url}, C001 (under test) on ${base_url}, C002 on ${c002_url}"
start hub
wait_healthy hub "${hub_url}"
start c001
start c002
wait_healthy C001 "${base_url}"
wait_healthy C002 "${c002_url}"

log "running the browser tests"
cd e2e
# Paths given relative to the repository root still work from e2e/.
set -- "${@#e2e/}"
ATTAKA_E2E_BASE_URL="${base_url}" ATTAKA_E2E_HUB_URL="${hub_url}" ATTAKA_E2E_C002_URL="${c002_url}" \
    ATTAKA_E2E_CHROMIUM="${chromium}" \
    node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout \
    "${@:-tests/}"
