#!/usr/bin/env bash
# Builds the SPA into web/dist/: cargo for wasm32 + wasm-bindgen (no trunk), wasm-opt -Oz from
# npm binaryen 132 (web/tools; never Debian's binaryen 108, whose output breaks in the browser —
# shared/design/toolchain.md), then every asset renamed by a hash of its content
# (`attaka-web-<10 hex>.js`) with index.html and boot.js pointing at the new names, and a brotli
# (.br) and gzip (.gz) copy of each text/wasm file for the node to serve precompressed
# (api/src/routes/assets.rs, decision 0029). Fails when the first load is over its budget.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root="$(pwd)"

log() { printf 'build-web: %s\n' "$*" >&2; }

target_dir="${CARGO_TARGET_DIR:-${repo_root}/target}"
dist="${repo_root}/web/dist"
wasm="${target_dir}/wasm32-unknown-unknown/release/web.wasm"
# The first load (index + boot + js + wasm + css, brotli) must stay under this (issue 15).
budget_bytes="${ATTAKA_WEB_BUDGET_BYTES:-1572864}"

log "cargo build -p web --target wasm32-unknown-unknown --release"
cargo build -p web --target wasm32-unknown-unknown --release

log "wasm-bindgen → ${dist#"${repo_root}"/}"
rm -rf "${dist}"
mkdir -p "${dist}"
# The name section only serves debuggers; it is ~30 % of the file.
wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "${dist}" --out-name attaka-web "${wasm}"

wasm_opt="${repo_root}/web/tools/node_modules/.bin/wasm-opt"
if [[ ! -x "${wasm_opt}" ]]; then
    log "npm ci in web/tools (binaryen 132 for wasm-opt)"
    (cd web/tools && npm ci --no-audit --no-fund >&2)
fi
[[ "$("${wasm_opt}" --version)" == *"version 132"* ]] || { log "wasm-opt is not binaryen 132"; exit 1; }
before=$(stat -c %s "${dist}/attaka-web_bg.wasm")
# The features Rust 1.95's wasm32 output uses (bulk memory, sign-ext, mutable globals, …).
"${wasm_opt}" -Oz --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
    "${dist}/attaka-web_bg.wasm" -o "${dist}/attaka-web_bg.opt.wasm"
mv "${dist}/attaka-web_bg.opt.wasm" "${dist}/attaka-web_bg.wasm"
log "wasm-opt -Oz: ${before} → $(stat -c %s "${dist}/attaka-web_bg.wasm") bytes"
cp web/index.html web/boot.js web/style.css "${dist}/"

log "hashed names, precompressed copies"
node - "${dist}" "${budget_bytes}" <<'JS'
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const zlib = require("zlib");
const [dist, budget] = [process.argv[2], Number(process.argv[3])];
const read = (f) => fs.readFileSync(path.join(dist, f));
const hash = (buf) => crypto.createHash("sha256").update(buf).digest("hex").slice(0, 10);
const renamed = {};
function rename(file, text) {
  const buf = text === undefined ? read(file) : Buffer.from(text);
  const dot = file.indexOf(".");
  const name = `${file.slice(0, dot)}-${hash(buf)}${file.slice(dot)}`;
  fs.writeFileSync(path.join(dist, name), buf);
  fs.unlinkSync(path.join(dist, file));
  renamed[file] = name;
  return name;
}
const swap = (text) =>
  Object.entries(renamed).reduce((t, [from, to]) => t.split(`/${from}`).join(`/${to}`), text);
// Leaves first: whatever names a file is hashed after the names in it are final.
rename("attaka-web_bg.wasm");
rename("attaka-web.js", read("attaka-web.js").toString().split("'attaka-web_bg.wasm'").join(`'${renamed["attaka-web_bg.wasm"]}'`));
rename("style.css");
rename("boot.js", swap(read("boot.js").toString()));
fs.writeFileSync(path.join(dist, "index.html"), swap(read("index.html").toString()));
for (const from of ["style.css", "boot.js", "attaka-web_bg.wasm"]) {
  if (read("index.html").includes(`/${from}"`)) throw new Error(`index.html still names /${from}`);
}
let firstLoad = 0;
for (const file of fs.readdirSync(dist)) {
  const buf = read(file);
  const br = zlib.brotliCompressSync(buf, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length,
    },
  });
  fs.writeFileSync(path.join(dist, `${file}.br`), br);
  fs.writeFileSync(path.join(dist, `${file}.gz`), zlib.gzipSync(buf, { level: 9 }));
  firstLoad += br.length;
  console.error(`build-web:   ${file}: ${buf.length} bytes, br ${br.length}`);
}
console.error(`build-web: first load ${firstLoad} bytes with brotli (budget ${budget})`);
if (firstLoad > budget) {
  console.error("build-web: over the first-load budget");
  process.exit(1);
}
JS

log "done: $(du -sh "${dist}" | cut -f1) in web/dist"
