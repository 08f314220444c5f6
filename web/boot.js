// Starts the app. A file, not an inline script, so the page's Content-Security-Policy can forbid
// inline script (`script-src 'self' 'wasm-unsafe-eval'`, see api/src/routes/hardening.rs).
import init from "/attaka-web.js";

// The loading screen in index.html stays until the app has started (or failed to).
const loading = () => document.getElementById("boot-loading");

init({ module_or_path: "/attaka-web_bg.wasm" })
  .then(() => loading()?.remove())
  .catch((err) => {
    console.error(err);
    loading()?.remove();
    const box = document.getElementById("boot-error");
    if (box) box.hidden = false;
  });
