// Starts the app. A file, not an inline script, so the page's Content-Security-Policy can forbid
// inline script (`script-src 'self' 'wasm-unsafe-eval'`, see api/src/routes/hardening.rs).
import init from "/attaka-web.js";

init({ module_or_path: "/attaka-web_bg.wasm" }).catch((err) => {
  console.error(err);
  const box = document.getElementById("boot-error");
  if (box) box.hidden = false;
});
