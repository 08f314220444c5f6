#!/usr/bin/env bash
# THE run command: builds the SPA and the server, then starts a centre node (C001) with demo data.
# Data and configuration live in ./data/ (override with ATTAKA_DATA_DIR); the config file is
# written on the first run only, so edits to it are kept.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

log() { printf 'run: %s\n' "$*" >&2; }

# A TOML basic string holding $1.
toml_string() {
    local s="${1//\\/\\\\}"
    s="${s//\"/\\\"}"
    printf '"%s"' "${s}"
}

# The value of the first `key = "value"` line for $1 in file $2 (empty if none).
toml_value() {
    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\\(.*\\)\"[[:space:]]*\$/\\1/p" "$2" | head -n 1
}

bash scripts/setup.sh
bash scripts/build-web.sh
log "cargo build --release -p api"
cargo build --release -p api

attaka="${CARGO_TARGET_DIR:-${repo_root}/target}/release/attaka"
data_dir="${ATTAKA_DATA_DIR:-${repo_root}/data}"
mkdir -p "${data_dir}"
data_dir="$(cd "${data_dir}" && pwd)"
config="${data_dir}/attaka.toml"
demo_accounts="${data_dir}/demo-accounts.txt"

if [[ ! -f "${config}" ]]; then
    log "writing ${config}"
    cat >"${config}" <<TOML
# Written by scripts/run.sh on the first run; it is not overwritten, edit as needed.
[node]
role = "center"
center = "C001"
data_dir = $(toml_string "${data_dir}")

[server]
listen = "127.0.0.1:8080"
static_dir = $(toml_string "${repo_root}/web/dist")

[database]
url = $(toml_string "sqlite://${data_dir}/attaka.sqlite3")
TOML
fi

database_url="$(toml_value url "${config}")"
if [[ "${database_url}" == sqlite://* ]]; then
    database="${database_url#sqlite://}"
    if [[ ! -e "${database}" ]]; then
        log "new database ${database}: filling it with demo data (attaka demo)"
        if ! "${attaka}" --config "${config}" demo >"${demo_accounts}.new"; then
            # Leave no half-filled database behind, so the next run tries again from scratch.
            rm -f "${database}" "${database}-wal" "${database}-shm" "${demo_accounts}.new"
            log "attaka demo failed"
            exit 1
        fi
        mv "${demo_accounts}.new" "${demo_accounts}"
        chmod 600 "${demo_accounts}"
    fi
else
    log "database is not SQLite (${database_url%%:*}); not adding demo data"
fi

listen="$(toml_value listen "${config}")"
listen="${listen:-127.0.0.1:8080}"
port="${listen##*:}"
host="${listen%:*}"
if [[ "${host}" == "0.0.0.0" || "${host}" == "[::]" ]]; then
    host="127.0.0.1"
fi

echo
echo "Attaka (centre node C001) starting: open http://${host}:${port}/ in a browser."
echo "Configuration: ${config}"
if [[ -s "${demo_accounts}" ]]; then
    echo "Demo data (as printed by 'attaka demo', kept in ${demo_accounts}):"
    cat "${demo_accounts}"
fi
echo "Stop with Ctrl+C."
echo

exec "${attaka}" --config "${config}" serve
