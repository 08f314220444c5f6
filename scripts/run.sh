#!/usr/bin/env bash
# THE run command: builds the SPA and the server, then runs the two-tier system on this machine
# with demo data: the prefecture hub (127.0.0.1:8080) and two centre nodes, C001 (:8081) and C002
# (:8082), each with its own SQLite file under ./data/{hub,c001,c002}. The centres get demo
# people and activities; the hub gets the centres registered, its accounts and one sync
# credential per centre; the centres' senders then deliver their de-identified facts to the hub
# through real sync.
#
# Data and configuration are kept between runs (delete ./data/{hub,c001,c002} to start over);
# the base directory can be changed with ATTAKA_DATA_DIR and the first port with
# ATTAKA_PORT_BASE (hub on it, the centres on the next two). Ctrl+C stops all three nodes.
# ATTAKA_SKIP_WEB_BUILD=1 serves the API only.
#
#   bash scripts/run.sh           set up, build (release), run until Ctrl+C
#   bash scripts/run.sh --check   what the test command runs: the same system from a fresh
#                                 temporary directory on ports 18080-18082 with the debug build;
#                                 waits until both centres' outboxes are delivered, checks that
#                                 the hub's figures for each centre equal the centre's own, byte
#                                 for byte, for every measure, then stops everything. With
#                                 ATTAKA_TEST_MSSQL_URL set, the hub runs on SQL Server: a fresh
#                                 database made as the tests make theirs (the example
#                                 api/examples/hub_test_database.rs), dropped at the end; the
#                                 centres stay on SQLite. It says which database the hub used.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

check=0
case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    *)
        echo "usage: bash scripts/run.sh [--check]" >&2
        exit 2
        ;;
esac

log() { printf 'run: %s\n' "$*" >&2; }

# shellcheck source=scripts/lib/nodes.sh
source scripts/lib/nodes.sh

if [[ "${check}" == 1 ]]; then
    # The test command has installed the tools and built the SPA; the debug build is the one
    # the HTTP tests just used.
    log "cargo build -p api"
    cargo build -p api
    attaka="${CARGO_TARGET_DIR:-${repo_root}/target}/debug/attaka"
    base="$(mktemp -d "${TMPDIR:-/tmp}/attaka-run-check.XXXXXX")"
    port_base="${ATTAKA_PORT_BASE:-18080}"
    if [[ -n "${ATTAKA_TEST_MSSQL_URL:-}" ]]; then
        # The hub on SQL Server: a database of its own, held (and on a single-database server,
        # locked against the tests) by a helper until its stdin closes in stop_all.
        log "cargo build -p api --example hub_test_database"
        cargo build -p api --example hub_test_database
        coproc hub_db { "${CARGO_TARGET_DIR:-${repo_root}/target}/debug/examples/hub_test_database" hold; }
        hub_db_pid="${hub_db_PID}"
        if ! read -r hub_db_url <&"${hub_db[0]}" || ! read -r hub_db_about <&"${hub_db[0]}"; then
            log "no SQL Server database for the hub (ATTAKA_TEST_MSSQL_URL is set)"
            exit 1
        fi
        # Read by node_config (not exported: the nodes take their database from attaka.toml).
        NODE_HUB_DATABASE_URL="${hub_db_url}"
        hub_database="SQL Server, ${hub_db_about} (from ATTAKA_TEST_MSSQL_URL)"
    fi
else
    bash scripts/setup.sh
    if [[ "${ATTAKA_SKIP_WEB_BUILD:-0}" != 1 ]]; then
        bash scripts/build-web.sh
    fi
    log "cargo build --release -p api"
    cargo build --release -p api
    attaka="${CARGO_TARGET_DIR:-${repo_root}/target}/release/attaka"
    base="${ATTAKA_DATA_DIR:-${repo_root}/data}"
    port_base="${ATTAKA_PORT_BASE:-8080}"
fi
mkdir -p "${base}"
base="$(cd "${base}" && pwd)"
hub_database="${hub_database:-SQLite, ${base}/hub/attaka.sqlite3}"
hub_port="${port_base}"
static_dir=""
if [[ -f "${repo_root}/web/dist/index.html" ]]; then
    static_dir="${repo_root}/web/dist"
fi

# The demo prefecture's duplicate-hint key, made once and kept with the data.
if [[ ! -s "${base}/duplicate-hint.key" ]]; then
    node_hint_key >"${base}/duplicate-hint.key"
    chmod 600 "${base}/duplicate-hint.key"
fi
hint_key="$(cat "${base}/duplicate-hint.key")"

# node name, role, centre code (or -), port
nodes=("hub hub - ${hub_port}" "c001 center C001 $((port_base + 1))" "c002 center C002 $((port_base + 2))")

write_config() {
    local name="$1" role="$2" center="$3" port="$4" dir="${base}/$1"
    mkdir -p "${dir}"
    [[ -f "${dir}/attaka.toml" ]] && return 0
    log "writing ${dir}/attaka.toml"
    {
        echo "# Written by scripts/run.sh on the first run; it is not overwritten, edit as needed."
        node_config "${dir}" "${role}" "${center}" "${port}" "http://127.0.0.1:${hub_port}" "${hint_key}" "${static_dir}"
    } >"${dir}/attaka.toml"
}

# Demo data on a new database (the hub gets the centres, sites and accounts, no people).
fill_demo() {
    local name="$1" seed="$2" dir="${base}/$1"
    [[ -e "${dir}/attaka.sqlite3" ]] && return 0
    log "new database for ${name}: attaka demo"
    if ! "${attaka}" --config "${dir}/attaka.toml" demo --seed "${seed}" >"${dir}/demo-accounts.txt.new"; then
        # Leave no half-filled database behind, so the next run tries again from scratch.
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
    log "the sync credential of ${center}: ${base}/${center,,}/sync-credential"
    node_issue_credential "${base}/hub/attaka.toml" "${center}" "${base}/${center,,}/sync-credential"
done

stop_all() {
    node_stop_all
    if [[ -n "${hub_db_pid:-}" ]]; then
        # Closing its stdin lets the helper drop the hub's SQL Server database.
        local fd="${hub_db[1]:-}"
        [[ -n "${fd}" ]] && exec {fd}>&-
        wait "${hub_db_pid}" 2>/dev/null || true
    fi
    if [[ "${check}" == 1 ]]; then
        rm -rf "${base}"
        log "the hub ran on ${hub_database}"
    fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start() {
    local name="$1"
    log "starting ${name} (log: ${base}/${name}/attaka.log)"
    node_start "${base}/${name}/attaka.toml" "${base}/${name}/attaka.log"
}

wait_ready() {
    local name="$1" port="$2"
    node_wait_ready "${name}" "http://127.0.0.1:${port}" "${base}/${name}/attaka.log" || exit 1
}

log "the hub's database: ${hub_database}"
start hub
wait_ready hub "${hub_port}"
start c001
start c002
wait_ready c001 "$((port_base + 1))"
wait_ready c002 "$((port_base + 2))"

if [[ "${check}" == 1 ]]; then
    RUN_CHECK_HUB_DATABASE_URL="${hub_db_url:-}" bash scripts/run-check.sh "${base}" "${port_base}"
    exit 0
fi

cat <<EOF

Attaka is running: the prefecture hub and two centre nodes, with demo data.

  prefecture hub   http://127.0.0.1:${hub_port}/   (data: ${base}/hub)
  centre C001      http://127.0.0.1:$((port_base + 1))/   (data: ${base}/c001)
  centre C002      http://127.0.0.1:$((port_base + 2))/   (data: ${base}/c002)

Open a URL in a browser and sign in with an account of that node. The centres deliver their
de-identified facts to the hub in the background (state: the header of the app, or
GET /api/v1/sync/status). The OpenAPI explorer is at /api/docs/ on every node.

Demo accounts on the hub: prefecture 'pref', municipality 'kochi-city' (高知市), operator
'operator'; 'staff'/'manager' there read C001's figures only:
$(sed 's/^/  /' "${base}/hub/demo-accounts.txt")

Demo accounts on centre C001 (staff / manager record people and activities):
$(sed 's/^/  /' "${base}/c001/demo-accounts.txt")

Demo accounts on centre C002:
$(sed 's/^/  /' "${base}/c002/demo-accounts.txt")

Stop with Ctrl+C.
EOF

wait
