# Shared by scripts/run.sh (the README run command) and e2e/run.sh (the browser tests): the
# configuration, start and readiness of the nodes of a local two-tier system, a prefecture hub
# and centre nodes connected by real sync. Source it; it only defines functions.
#
# Callers set `attaka` (the binary) and get the started processes in the array `node_pids`.

node_pids=()

# A TOML basic string holding $1.
toml_string() {
    local s="${1//\\/\\\\}"
    s="${s//\"/\\\"}"
    printf '"%s"' "${s}"
}

# node_config DIR ROLE CENTER PORT HUB_URL HINT_KEY STATIC_DIR
# Prints a node's configuration: CENTER is `-` for the hub, STATIC_DIR may be empty (API only).
# The duplicate hint is on (enabled at the hub, HINT_KEY on each centre); a centre delivers to
# HUB_URL with the credential in DIR/sync-credential (passed by node_start). The hub's database
# is DIR/attaka.sqlite3, or NODE_HUB_DATABASE_URL when set (a SQL Server URL). Pacing comes from
# NODE_SYNC_INTERVAL_MS, NODE_SYNC_RETRY_MAX_MS and NODE_LOCKS_INTERVAL_MS when set. Callers
# may append sections of their own.
node_config() {
    local dir="$1" role="$2" center="$3" port="$4" hub_url="$5" hint_key="$6" static_dir="$7"
    echo "[node]"
    echo "role = \"${role}\""
    [[ "${center}" != - ]] && echo "center = \"${center}\""
    echo "data_dir = $(toml_string "${dir}")"
    echo
    echo "[server]"
    echo "listen = \"127.0.0.1:${port}\""
    [[ -n "${static_dir}" ]] && echo "static_dir = $(toml_string "${static_dir}")"
    echo
    echo "[database]"
    if [[ "${role}" == hub && -n "${NODE_HUB_DATABASE_URL:-}" ]]; then
        echo "url = $(toml_string "${NODE_HUB_DATABASE_URL}")"
    else
        echo "url = $(toml_string "sqlite://${dir}/attaka.sqlite3")"
    fi
    echo
    echo "# The optional duplicate hint (docs/sync.md): on at the hub, the prefecture's key on each"
    echo "# centre (in production it comes from the prefecture, never from the hub)."
    echo "[duplicate_hint]"
    if [[ "${role}" == hub ]]; then
        echo "enabled = true"
        return 0
    fi
    echo "key = \"${hint_key}\""
    echo
    echo "[sync]"
    echo "hub_url = \"${hub_url}\""
    echo "# The credential is passed as ATTAKA_SYNC__CREDENTIAL from ${dir}/sync-credential."
    echo "interval_ms = ${NODE_SYNC_INTERVAL_MS:-1000}"
    echo "retry_max_ms = ${NODE_SYNC_RETRY_MAX_MS:-30000}"
    echo "# The hub's period locks reach this centre within this time (60 s by default)."
    echo "locks_interval_ms = ${NODE_LOCKS_INTERVAL_MS:-5000}"
}

# A new random hex key for the duplicate hint (32 bytes).
node_hint_key() {
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

# node_issue_credential HUB_CONFIG CENTER FILE
# Issues CENTER's sync credential on the hub into FILE (mode 600), unless FILE already has one.
node_issue_credential() {
    local hub_config="$1" center="$2" file="$3"
    [[ -s "${file}" ]] && return 0
    "${attaka}" --config "${hub_config}" sync issue-credential --center "${center}" >"${file}.new"
    mv "${file}.new" "${file}"
    chmod 600 "${file}"
}

# node_start CONFIG LOG
# Starts `attaka serve` in the background with the credential kept beside CONFIG, if any.
node_start() {
    local config="$1" log_file="$2" credential_file
    credential_file="$(dirname "${config}")/sync-credential"
    if [[ -s "${credential_file}" ]]; then
        ATTAKA_SYNC__CREDENTIAL="$(cat "${credential_file}")" "${attaka}" --config "${config}" serve \
            >>"${log_file}" 2>&1 &
    else
        "${attaka}" --config "${config}" serve >>"${log_file}" 2>&1 &
    fi
    node_pids+=("$!")
}

# node_wait_ready NAME URL LOG
# Waits up to 30 s for URL/readyz; on failure prints the end of LOG and returns 1.
node_wait_ready() {
    local name="$1" url="$2" log_file="$3"
    for _ in $(seq 1 150); do
        if curl -fsS "${url}/readyz" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    printf '%s did not become ready at %s; its log (%s) ends:\n' "${name}" "${url}" "${log_file}" >&2
    tail -n 20 "${log_file}" >&2 || true
    return 1
}

# Stops every node started by node_start and waits for them.
node_stop_all() {
    local pid
    for pid in "${node_pids[@]}"; do
        kill "${pid}" 2>/dev/null || true
    done
    for pid in "${node_pids[@]}"; do
        wait "${pid}" 2>/dev/null || true
    done
}
