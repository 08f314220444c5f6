#!/usr/bin/env bash
# The Windows build of the centre node, checked under Wine (called by scripts/test.sh).
#
# Builds attaka.exe for x86_64-pc-windows-gnu (debug, in the workspace's target directory, with
# warnings as errors so no Unix-only code slips into the Windows build unnoticed), builds the
# TEST-ONLY bcryptprimitives.dll stand-in beside it (scripts/wine/bcryptprimitives.c: Debian's
# Wine 8 lacks the DLL; it is never shipped), then runs the node in a fresh Wine prefix:
# --version, service --help, migrate (data under %ProgramData%\Attaka by default), demo, serve +
# /readyz, login, a person registered and read back, the disk watch's free-space figure,
# /metrics, a backup while the node serves, a restore refused while it serves, a clean stop
# (SIGINT), backup list, restore --yes, audit verify, and the restored database served again. One PASS/FAIL line per step; exits
# non-zero at the first failure, with the end of the node's output.
#
# Needs what scripts/setup.sh installs: the windows-gnu target, gcc-mingw-w64-x86-64, wine.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

readonly TARGET=x86_64-pc-windows-gnu
target_dir="${CARGO_TARGET_DIR:-${repo_root}/target}/${TARGET}/debug"
exe="${target_dir}/attaka.exe"

say() { printf 'windows-smoke: %s\n' "$*" >&2; }
started_at=${SECONDS}
step_started=${SECONDS}
pass() { say "PASS  $1 ($((SECONDS - step_started)) s)${2:+: $2}"; step_started=${SECONDS}; }
fail() {
    say "FAIL  $1${2:+: $2}"
    if [[ -n "${serve_log:-}" && -s "${serve_log}" ]]; then
        say "--- end of the node's output (${serve_log})"
        tail -n 25 "${serve_log}" >&2 || true
    fi
    exit 1
}

# --- build --------------------------------------------------------------------------------
# Warnings as errors for the Windows target only (host build scripts and proc macros are
# unaffected, and dependencies keep their capped lints).
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS="${CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS:--D warnings}"
say "cargo build --target ${TARGET} -p api"
cargo build --target "${TARGET}" -p api || fail "build attaka.exe"
pass "build attaka.exe" "$(du -h "${exe}" | cut -f1)"

dll="${target_dir}/bcryptprimitives.dll"
dll_source=scripts/wine/bcryptprimitives.c
if [[ ! -f "${dll}" || "${dll_source}" -nt "${dll}" ]]; then
    x86_64-w64-mingw32-gcc -shared -O2 -o "${dll}" "${dll_source}" -ladvapi32 ||
        fail "build the test-only bcryptprimitives.dll"
fi
pass "test-only bcryptprimitives.dll beside the exe (never shipped)"

# --- a fresh Wine prefix -------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/attaka-windows-smoke.XXXXXX")"
export WINEPREFIX="${work}/prefix" WINEDEBUG=-all WINEARCH=win64
# No Mono or Gecko install prompts: the node needs neither.
export WINEDLLOVERRIDES="mscoree,mshtml="
serve_pid=""
cleanup() {
    if [[ -n "${serve_pid}" ]]; then
        kill -INT "${serve_pid}" 2>/dev/null || true
        wait "${serve_pid}" 2>/dev/null || true
    fi
    # Ends this prefix's own wineserver (and anything left in it), nothing else, then removes
    # its socket folder (/tmp/wine-*/server-<device>-<inode of the prefix>).
    wineserver -k 2>/dev/null || true
    if [[ -d "${WINEPREFIX}" ]]; then
        local socket
        socket="server-$(stat -c %D "${WINEPREFIX}")-$(printf '%x' "$(stat -c %i "${WINEPREFIX}")")"
        for dir in /tmp/wine-*/"${socket}" /tmp/.wine-"$(id -u)"/"${socket}"; do
            [[ -d "${dir}" ]] || continue
            rm -rf "${dir}"
            rmdir "$(dirname "${dir}")" 2>/dev/null || true
        done
    fi
    rm -rf "${work}"
}
trap cleanup EXIT
wineboot -i >/dev/null 2>&1 || fail "wineboot (a new Wine prefix)"
pass "fresh Wine prefix" "${WINEPREFIX}"

attaka() { wine "${exe}" "$@"; }

# Everything else from the defaults: data under C:\ProgramData\Attaka.
port=""
for _ in $(seq 1 20); do
    candidate=$((20000 + RANDOM % 10000))
    if ! curl -s -o /dev/null "http://127.0.0.1:${candidate}/" 2>/dev/null; then
        port="${candidate}"
        break
    fi
done
[[ -n "${port}" ]] || fail "find a free port"
export ATTAKA_NODE__CENTER=C001 ATTAKA_SERVER__LISTEN="127.0.0.1:${port}" ATTAKA_WATCH__INTERVAL_MS=500
base="http://127.0.0.1:${port}"
data="${WINEPREFIX}/drive_c/ProgramData/Attaka"

# --- commands ------------------------------------------------------------------------------
out="$(attaka --version 2>&1)" || fail "--version" "${out}"
[[ "${out}" =~ ^attaka\ [0-9] ]] || fail "--version" "${out}"
pass "--version" "${out}"

out="$(attaka service --help 2>&1)" || fail "service --help" "${out}"
for word in install start stop uninstall status; do
    grep -q "^  ${word} " <<<"${out}" || fail "service --help" "no ${word} in: ${out}"
done
pass "service --help" "install, start, stop, uninstall, status"

out="$(attaka migrate 2>&1)" || fail "migrate" "${out}"
[[ -s "${data}/attaka.sqlite3" ]] || fail "migrate" "no database at C:\\ProgramData\\Attaka\\attaka.sqlite3"
pass "migrate" "C:\\ProgramData\\Attaka\\attaka.sqlite3, $(grep -c 'migration applied' <<<"${out}") migrations"

out="$(attaka demo --people 30 2>&1)" || fail "demo" "${out}"
grep -q 'demo-staff-2024' <<<"${out}" || fail "demo" "${out}"
pass "demo" "$(grep -o '利用者 [0-9]* 名' <<<"${out}" || true)"

# --- serving -------------------------------------------------------------------------------
serve_log="${work}/serve.log"
wine "${exe}" serve >"${serve_log}" 2>&1 &
serve_pid=$!
wait_ready() {
    for _ in $(seq 1 300); do
        curl -fsS "${base}/readyz" >/dev/null 2>&1 && return 0
        kill -0 "${serve_pid}" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}
wait_ready || fail "serve + /readyz" "not ready at ${base}"
pass "serve + /readyz" "${base}"

body="$(curl -fsS -X POST -H 'Content-Type: application/json' \
    -d '{"username":"staff","password":"demo-staff-2024"}' "${base}/api/v1/auth/login")" ||
    fail "login" "staff / demo-staff-2024 refused"
token="$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"${body}")"
[[ -n "${token}" ]] || fail "login" "${body}"
pass "login" "staff"

person="$(curl -sS -X POST "${base}/api/v1/persons" -H "Authorization: Bearer ${token}" \
    -H 'Content-Type: application/json' -d '{
    "family_name": "山本", "given_name": "花子", "family_kana": "ﾔﾏﾓﾄ", "given_kana": "ﾊﾅｺ",
    "birth_date": "1948-05-01", "sex": "F", "residence_municipality": "392014",
    "categories": ["elderly"], "care_level": "shien1", "household": "alone",
    "registered_on": "2024-04-01"}')" || fail "register a person" "no answer"
id="$(sed -n 's/.*"common_id":"\([^"]*\)".*/\1/p' <<<"${person}")"
[[ "${id}" =~ ^C001-[0-9]{6}-[0-9]$ ]] || fail "register a person" "${person}"
back="$(curl -fsS -H "Authorization: Bearer ${token}" "${base}/api/v1/persons/${id}")" ||
    fail "register a person" "${id} not read back"
grep -q '"family_kana":"ヤマモト"' <<<"${back}" || fail "register a person" "${back}"
pass "register a person" "${id}, read back"

# The disk watch's first round logs what it read (GetDiskFreeSpaceExW through fs4).
disk=""
for _ in $(seq 1 50); do
    disk="$(grep 'free disk space' "${serve_log}" | head -n 1 || true)"
    [[ -n "${disk}" ]] && break
    sleep 0.2
done
[[ -n "${disk}" ]] || fail "disk watch" "no free-space line in the log"
grep -q 'volume=C:\\' <<<"${disk}" || fail "disk watch" "not on volume C:\\: ${disk}"
free_mb="$(sed -n 's/.*free_mb=\([0-9]*\).*/\1/p' <<<"${disk}")"
total_mb="$(sed -n 's/.*total_mb=\([0-9]*\).*/\1/p' <<<"${disk}")"
[[ -n "${free_mb}" && -n "${total_mb}" && "${total_mb}" -gt 0 && "${free_mb}" -le "${total_mb}" ]] ||
    fail "disk watch" "${disk}"
pass "disk watch" "C:\\ ${free_mb} MB free of ${total_mb} MB"

metrics="$(curl -fsS "${base}/metrics")" || fail "/metrics" "no answer"
grep -q '^attaka_up{node="C001"' <<<"${metrics}" || fail "/metrics" "no attaka_up"
pass "/metrics" "attaka_up"

# While the node serves: SQLite's copy through Windows file sharing and locking.
out="$(attaka backup run 2>&1)" || fail "backup run (node serving)" "${out}"
grep -q 'backup made and verified' <<<"${out}" || fail "backup run (node serving)" "${out}"
generation="$(sed -n 's/.*backup made and verified: //p' <<<"${out}" | tr -d '\r')"
ls "${data}/backups/"*.partial >/dev/null 2>&1 && fail "backup run (node serving)" "a .partial file was left"
pass "backup run (node serving)" "${generation}"

# The serving node's lock on the database (LockFileEx): a restore refuses and touches nothing.
if out="$(attaka backup restore --yes 2>&1)"; then
    fail "restore refused while serving" "it restored under the running node: ${out}"
fi
grep -q 'the node is serving from this database' <<<"${out}" || fail "restore refused while serving" "${out}"
compgen -G "${data}/attaka.sqlite3.before-restore-*" >/dev/null && fail "restore refused while serving" "the database was moved"
pass "restore refused while serving" "the database is in use"

kill -INT "${serve_pid}"
status=0
wait "${serve_pid}" || status=$?
serve_pid=""
[[ "${status}" == 0 ]] || fail "clean stop (SIGINT)" "exit status ${status}"
grep -q 'attaka stopped' "${serve_log}" || fail "clean stop (SIGINT)" "no 'attaka stopped' line"
pass "clean stop (SIGINT)" "exit status 0"

out="$(attaka backup list 2>&1)" || fail "backup list" "${out}"
grep -q '  ok' <<<"${out}" || fail "backup list" "${out}"
pass "backup list" "$(grep -c '  ok' <<<"${out}") generation(s) ok"

out="$(attaka backup restore --yes 2>&1)" || fail "backup restore --yes" "${out}"
grep -q '^restored from' <<<"${out}" || fail "backup restore --yes" "${out}"
compgen -G "${data}/attaka.sqlite3.before-restore-*" >/dev/null ||
    fail "backup restore --yes" "the replaced database was not kept"
pass "backup restore --yes" "the replaced database kept beside it"

out="$(attaka audit verify 2>&1)" || fail "audit verify" "${out}"
grep -q 'audit chain intact' <<<"${out}" || fail "audit verify" "${out}"
pass "audit verify" "$(grep -o 'audit chain intact: [0-9]* rows' <<<"${out}")"

# The restored database serves, with the person registered before the backup.
wine "${exe}" serve >>"${serve_log}" 2>&1 &
serve_pid=$!
wait_ready || fail "the restored database serves" "not ready"
body="$(curl -fsS -X POST -H 'Content-Type: application/json' \
    -d '{"username":"staff","password":"demo-staff-2024"}' "${base}/api/v1/auth/login")" ||
    fail "the restored database serves" "login refused"
token="$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"${body}")"
curl -fsS -o /dev/null -H "Authorization: Bearer ${token}" "${base}/api/v1/persons/${id}" ||
    fail "the restored database serves" "${id} is not in the restored database"
kill -INT "${serve_pid}"
status=0
wait "${serve_pid}" || status=$?
serve_pid=""
[[ "${status}" == 0 ]] || fail "the restored database serves" "exit status ${status} on stop"
pass "the restored database serves" "${id} is there; stopped cleanly"

say "all Windows checks passed in $((SECONDS - started_at)) s"
