#!/usr/bin/env bash
# MANUAL check, not part of the test command: `attaka service install | start | stop |
# uninstall` against Wine's service control manager, in a fresh prefix. Run
# scripts/windows-smoke.sh first (it builds attaka.exe and the test-only DLL).
#
# All the steps run inside one `wine cmd` (one life of Wine's services.exe). Wine 8's manager
# is not dependable here: right after CreateService it answers "does not exist" for a while,
# and later it now and then answers so again for an installed service (1 run in 3 got through
# start and stop in a row when this was written), which is why this is not in CI. What it shows
# when it gets through: the SCM starts `attaka service run`, the node serves the API and the web
# app on 127.0.0.1, the SCM's Stop reaches the graceful shutdown ("the service manager asked
# the node to stop" … "attaka stopped"), and uninstall removes the registration. Wine has no
# real accounts or ACLs (its icacls only pretends), so the virtual account and the ACL need a
# real Windows.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
target_dir="${CARGO_TARGET_DIR:-$(pwd)/target}/x86_64-pc-windows-gnu/debug"
port="${ATTAKA_PORT:-20555}"

WINEPREFIX="$(mktemp -d "${TMPDIR:-/tmp}/attaka-wine-service.XXXXXX")"
export WINEPREFIX WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" RUST_BACKTRACE=0
cleanup() {
    wineserver -k 2>/dev/null || true
    rm -rf "${WINEPREFIX}"
}
trap cleanup EXIT
wineboot -i >/dev/null 2>&1

program="${WINEPREFIX}/drive_c/Program Files/Attaka"
data="${WINEPREFIX}/drive_c/ProgramData/Attaka"
mkdir -p "${program}/web" "${data}"
cp "${target_dir}/attaka.exe" "${target_dir}/bcryptprimitives.dll" "${program}/"
echo '<h1>Attaka web</h1>' >"${program}/web/index.html"
sed -e 's/@CENTER@/C001/' -e "s/127.0.0.1:8080/127.0.0.1:${port}/" packaging/windows/attaka.toml >"${data}/attaka.toml"
exe='C:\Program Files\Attaka\attaka.exe'
config='C:\ProgramData\Attaka\attaka.toml'
wine "${exe}" --config "${config}" demo --people 5 >/dev/null 2>&1

# C:\up.txt: the service runs (the checks from Linux may begin); C:\go.txt: they are done.
cat >"${WINEPREFIX}/drive_c/lifecycle.bat" <<BAT
@echo off
"${exe}" --config "${config}" service install
:installed
"${exe}" service status | find "Stopped" >nul
if errorlevel 1 goto installed
"${exe}" service start
"${exe}" service status
echo up> C:\\up.txt
:wait
if exist C:\\go.txt goto stop
"${exe}" service status >nul
goto wait
:stop
"${exe}" service stop
"${exe}" service uninstall
BAT
(
    for _ in $(seq 1 240); do [[ -f "${WINEPREFIX}/drive_c/up.txt" ]] && break; sleep 0.5; done
    if curl -fs --retry 20 --retry-connrefused --retry-delay 1 "http://127.0.0.1:${port}/readyz" >/dev/null &&
        curl -fsS "http://127.0.0.1:${port}/" | grep -q 'Attaka web'; then
        echo "service-lifecycle: the service serves the API and the web app on 127.0.0.1:${port}"
    else
        echo "service-lifecycle: the service did not serve on 127.0.0.1:${port}"
    fi
    touch "${WINEPREFIX}/drive_c/go.txt"
) &
timeout 240 wine cmd /c 'C:\lifecycle.bat' 2>&1 | tr -d '\r' | grep -v '^{"timestamp'
wait
echo "service-lifecycle: the node's log:"
grep -h -o '"message":"[^"]*"' "${data}"/logs/*.log | grep -v migration || true
