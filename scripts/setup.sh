#!/usr/bin/env bash
# Installs what building and testing Attaka needs on this kind of machine (Debian 12, root).
# Idempotent: every step checks first, so a warm run takes a second or two.
# Versions and the reasons for them: shared/design/toolchain.md.
set -euo pipefail

# Must match the exact `wasm-bindgen` pin in web/Cargo.toml: a CLI/crate mismatch fails at run time.
readonly WASM_BINDGEN_VERSION="0.2.130"

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

have() { command -v "$1" >/dev/null 2>&1; }

install_rust_target() {
    # RUSTUP_AUTO_INSTALL=0 here, so rust-toolchain.toml alone does not fetch the targets.
    # wasm32: the SPA; x86_64-pc-windows-gnu: the centre node for Windows (scripts/windows-smoke.sh).
    local installed target
    installed="$(rustup target list --installed)"
    for target in wasm32-unknown-unknown x86_64-pc-windows-gnu; do
        if grep -qx "${target}" <<<"${installed}"; then
            log "${target} target: present"
        else
            log "adding rust target ${target}"
            rustup target add "${target}" >&2
        fi
    done
}

install_rust_components() {
    local installed missing=()
    installed="$(rustup component list --installed)"
    for component in rustfmt clippy; do
        if ! grep -q "^${component}" <<<"${installed}"; then
            missing+=("${component}")
        fi
    done
    if ((${#missing[@]} == 0)); then
        log "rustfmt, clippy: present"
    else
        log "adding rust components: ${missing[*]}"
        rustup component add "${missing[@]}" >&2
    fi
}

install_wasm_bindgen() {
    if have wasm-bindgen && [[ "$(wasm-bindgen --version)" == *" ${WASM_BINDGEN_VERSION}"* ]]; then
        log "wasm-bindgen ${WASM_BINDGEN_VERSION}: present"
        return
    fi
    # No --locked: the CLI's lockfile names a crate version that the registry does not serve.
    log "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (about 3 minutes on 2 cores)"
    cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}" --force >&2
}

# ---------------------------------------------------------------------------------------------
# Browser tests (enabled with ATTAKA_WITH_BROWSER=1; scripts/test.sh sets it once e2e/run.sh
# exists). `npx playwright install` cannot download browsers here, so Playwright drives Debian's
# /usr/bin/chromium through npm `playwright-core`.
# ---------------------------------------------------------------------------------------------

apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("${pkg}")
        fi
    done
    if ((${#missing[@]} == 0)); then
        log "apt packages present: $*"
        return
    fi
    log "installing apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" </dev/null >&2
}

install_browser_deps() {
    # fonts-noto-cjk: without a Japanese font Chromium draws every kana and kanji as a box, and
    # the screenshots in docs/screenshots/ would show nothing readable.
    apt_install chromium chromium-driver fonts-noto-cjk
}

install_e2e_node_modules() {
    [[ -f e2e/package.json ]] || return 0
    # npm keeps its own record of what it installed; newer than the manifests means up to date.
    local stamp=e2e/node_modules/.package-lock.json
    if [[ -f "${stamp}" && "${stamp}" -nt e2e/package.json &&
        (! -f e2e/package-lock.json || "${stamp}" -nt e2e/package-lock.json) ]]; then
        log "e2e/node_modules: up to date"
    elif [[ -f e2e/package-lock.json ]]; then
        log "npm ci in e2e/"
        (cd e2e && npm ci --no-audit --no-fund >&2)
    else
        log "npm install in e2e/"
        (cd e2e && npm install --no-audit --no-fund >&2)
    fi
}

main() {
    install_rust_target
    install_rust_components
    install_wasm_bindgen
    # scripts/run.sh waits for the nodes and checks them over HTTP with curl.
    apt_install curl
    # The Windows build (mingw-w64 links it) and its smoke run under Wine: the command is
    # `wine`; Debian's wine64 package holds the 64-bit loader it uses.
    apt_install gcc-mingw-w64-x86-64 wine wine64
    if [[ "${ATTAKA_WITH_BROWSER:-0}" == "1" ]]; then
        install_browser_deps
        install_e2e_node_modules
    fi
    log "done"
}

main "$@"
