#!/usr/bin/env bash
# The release bundle of the centre node for Windows: target/bundle/attaka-<version>-windows-x64.zip
# holding attaka.exe (release build for x86_64-pc-windows-gnu), the web app (web/, built by
# scripts/build-web.sh), a sample configuration for a centre (attaka.toml), the PowerShell
# install script and its helpers (packaging/windows/), and docs/install-windows.md.
# Not part of the test command (the release build takes minutes); run it before a release:
#   bash scripts/bundle-windows.sh
# The test-only bcryptprimitives.dll (scripts/wine/) is never put in the bundle: a real Windows
# has its own, and the script refuses a bundle holding one.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

log() { printf 'bundle-windows: %s\n' "$*" >&2; }

readonly TARGET=x86_64-pc-windows-gnu
target_dir="${CARGO_TARGET_DIR:-${repo_root}/target}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
name="attaka-${version}-windows-x64"
out="${target_dir}/bundle"
stage="${out}/${name}"
zip_file="${out}/${name}.zip"

bash scripts/setup.sh
if ! command -v zip >/dev/null || ! command -v unzip >/dev/null; then
    log "installing zip and unzip"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zip unzip </dev/null >&2 ||
        { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zip unzip </dev/null >&2; }
fi

if [[ "${ATTAKA_SKIP_WEB_BUILD:-0}" != 1 || ! -f web/dist/index.html ]]; then
    bash scripts/build-web.sh
fi

log "cargo build --release --target ${TARGET} -p api"
cargo build --release --target "${TARGET}" -p api
exe="${target_dir}/${TARGET}/release/attaka.exe"

log "staging ${stage#"${repo_root}"/}"
rm -rf "${stage}" "${zip_file}"
mkdir -p "${stage}"
cp "${exe}" "${stage}/attaka.exe"
cp -r web/dist "${stage}/web"
cp packaging/windows/attaka.toml packaging/windows/*.ps1 "${stage}/"
cp docs/install-windows.md "${stage}/"

if find "${stage}" -iname 'bcryptprimitives*' | grep -q .; then
    log "refusing: the test-only bcryptprimitives.dll is in the bundle"
    exit 1
fi

(cd "${out}" && zip -q -r -9 "${name}.zip" "${name}")
rm -rf "${stage}"
log "contents:"
unzip -l "${zip_file}" >&2
log "done: ${zip_file#"${repo_root}"/} ($(du -h "${zip_file}" | cut -f1))"
