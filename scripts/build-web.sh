#!/usr/bin/env bash
# Builds the SPA into web/dist/ (index.html, boot.js, style.css, attaka-web.js, attaka-web_bg.wasm):
# cargo for wasm32 + wasm-bindgen, no trunk. wasm-opt is skipped on purpose (Debian's binaryen
# breaks the output; see shared/design/toolchain.md).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

log() { printf 'build-web: %s\n' "$*" >&2; }

target_dir="${CARGO_TARGET_DIR:-${repo_root}/target}"
dist="${repo_root}/web/dist"
wasm="${target_dir}/wasm32-unknown-unknown/release/web.wasm"

log "cargo build -p web --target wasm32-unknown-unknown --release"
cargo build -p web --target wasm32-unknown-unknown --release

log "wasm-bindgen → ${dist#"${repo_root}"/}"
rm -rf "${dist}"
mkdir -p "${dist}"
# The name section only serves debuggers; it is ~30 % of the file.
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "${dist}" --out-name attaka-web "${wasm}"
cp web/index.html web/boot.js web/style.css "${dist}/"

log "done: $(du -sh "${dist}" | cut -f1) in web/dist"
