#!/usr/bin/env bash
# Two-tier demo: the prefecture hub (127.0.0.1:8080) and two centre nodes, C001 (:8081) and
# C002 (:8082), each with its own SQLite file under ./data/{hub,c001,c002}. The centres get demo
# data; the hub gets the centres registered and one sync credential per centre; the centres'
# senders then deliver their de-identified facts to the hub through real sync.
#
# Data and configuration are kept between runs (delete ./data/{hub,c001,c002} to start over);
# the base directory can be changed with ATTAKA_TWO_TIER_DIR. Ctrl+C stops all three nodes.
# Set ATTAKA_SKIP_WEB_BUILD=1 to serve the API only when web/dist is not wanted.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

log() { printf 'run-two-tier: %s\n' "$*" >&2; }

toml_string() {
    local s="${1//\\/\\\\}"
    s="${s//\"/\\\"}"
    printf '"%s"' "${s}"
}

bash scripts/setup.sh
if [[ "${ATTAKA_SKIP_WEB_BUILD:-0}" != 1 ]]; then
    bash scripts/build-web.sh
fi
log "cargo build --release -p api"
cargo build --release -p api

attaka="${CARGO_TARGET_DIR:-${repo_root}/target}/release/attaka"
base="${ATTAKA_TWO_TIER_DIR:-${repo_root}/data}"
mkdir -p "${base}"
base="$(cd "${base}" && pwd)"
static_dir=""
if [[ -f "${repo_root}/web/dist/index.html" ]]; then
    static_dir="static_dir = $(toml_string "${repo_root}/web/dist")"
fi

# node name, role, centre code (or empty), port
nodes=("hub hub - 8080" "c001 center C001 8081" "c002 center C002 8082")

write_config() {
    local name="$1" role="$2" center="$3" port="$4" dir="${base}/$1"
    mkdir -p "${dir}"
    [[ -f "${dir}/attaka.toml" ]] && return 0
    log "writing ${dir}/attaka.toml"
    {
        echo "# Written by scripts/run-two-tier.sh on the first run; edit as needed."
        echo "[node]"
        echo "role = \"${role}\""
        [[ "${center}" != - ]] && echo "center = \"${center}\""
        echo "data_dir = $(toml_string "${dir}")"
        echo
        echo "[server]"
        echo "listen = \"127.0.0.1:${port}\""
        [[ -n "${static_dir}" ]] && echo "${static_dir}"
        echo
        echo "[database]"
        echo "url = $(toml_string "sqlite://${dir}/attaka.sqlite3")"
        if [[ "${role}" == center ]]; then
            echo
            echo "[sync]"
            echo "hub_url = \"http://127.0.0.1:8080\""
            echo "# The credential is passed as ATTAKA_SYNC__CREDENTIAL from ${dir}/sync-credential."
            echo "interval_ms = 1000"
            echo "retry_max_ms = 30000"
        fi
    } >"${dir}/attaka.toml"
}

# Demo data on a new database (the hub gets the centres, sites and accounts, no people).
fill_demo() {
    local name="$1" seed="$2" dir="${base}/$1"
    [[ -e "${dir}/attaka.sqlite3" ]] && return 0
    log "new database for ${name}: attaka demo"
    if ! "${attaka}" --config "${dir}/attaka.toml" demo --seed "${seed}" >"${dir}/demo-accounts.txt.new"; then
        rm -f "${dir}/attaka.sqlite3" "${dir}/attaka.sqlite3-wal" "${dir}/attaka.sqlite3-shm" "${dir}/demo-accounts.txt.new"
        log "attaka demo failed for ${name}"
        exit 1
    fi
    mv "${dir}/demo-accounts.txt.new" "${dir}/demo-accounts.txt"
    chmod 600 "${dir}/demo-accounts.txt"
    # A new hub knows no credential yet: issue fresh ones below.
    if [[ "${name}" == hub ]]; then
        rm -f "${base}/c001/sync-credential" "${base}/c002/sync-credential"
    fi
}

for node in "${nodes[@]}"; do
    # shellcheck disable=SC2086
    write_config ${node}
done
fill_demo hub 2024
fill_demo c001 2024
fill_demo c002 2025

# One credential per centre, issued on the hub (shown once; the hub keeps its hash only).
for center in C001 C002; do
    file="${base}/${center,,}/sync-credential"
    if [[ ! -s "${file}" ]]; then
        log "issuing the sync credential of ${center} on the hub"
        "${attaka}" --config "${base}/hub/attaka.toml" sync issue-credential --center "${center}" >"${file}.new"
        mv "${file}.new" "${file}"
        chmod 600 "${file}"
    fi
done

pids=()
stop_all() {
    for pid in "${pids[@]}"; do
        kill "${pid}" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start() {
    local name="$1" dir="${base}/$1"
    local credential=""
    [[ -f "${dir}/sync-credential" ]] && credential="$(cat "${dir}/sync-credential")"
    log "starting ${name} (log: ${dir}/attaka.log)"
    if [[ -n "${credential}" ]]; then
        ATTAKA_SYNC__CREDENTIAL="${credential}" "${attaka}" --config "${dir}/attaka.toml" serve \
            >>"${dir}/attaka.log" 2>&1 &
    else
        "${attaka}" --config "${dir}/attaka.toml" serve >>"${dir}/attaka.log" 2>&1 &
    fi
    pids+=("$!")
}

wait_ready() {
    local port="$1"
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:${port}/readyz" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    log "the node on port ${port} did not become ready; see its attaka.log"
    exit 1
}

start hub
wait_ready 8080
start c001
start c002
wait_ready 8081
wait_ready 8082

cat <<EOF

Attaka two-tier demo is running.

  prefecture hub   http://127.0.0.1:8080/   (data: ${base}/hub)
  centre C001      http://127.0.0.1:8081/   (data: ${base}/c001)
  centre C002      http://127.0.0.1:8082/   (data: ${base}/c002)

The centres deliver their de-identified facts to the hub in the background; follow with
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8081/api/v1/sync/status   (centre)
  curl -s -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/api/v1/sync/status   (hub)
  (TOKEN from POST /api/v1/auth/login on that node)

Demo accounts on the hub (prefecture 'pref', municipality 'kochi-city', operator 'operator';
'staff'/'manager' there read C001's figures only):
$(sed 's/^/  /' "${base}/hub/demo-accounts.txt")

Demo accounts on centre C001 (staff / manager):
$(sed 's/^/  /' "${base}/c001/demo-accounts.txt")

Demo accounts on centre C002 (staff / manager):
$(sed 's/^/  /' "${base}/c002/demo-accounts.txt")

Stop with Ctrl+C.
EOF

wait
