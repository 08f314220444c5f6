// The web app's first load as a centre's PC sees it (issue 15): bytes transferred and time to
// interactive, cold cache, in Debian's Chromium (Edge's engine) with DevTools' CPU throttling.
// A benchmark, not a test: it prints a table for docs/benchmarks.md and fails only when it
// cannot measure.
//
//   bash scripts/run.sh            # in another terminal: the README's demo (C001 on :8081)
//   node bench/first-load.mjs [BASE_URL] [--runs 7] [--cpu 4]
//
// Each run is a fresh browser profile (nothing cached), at 1280×768. Time to interactive is
// taken from the start of navigation to the moment the login form, drawn by the app (not the
// loading screen of index.html), accepts typing: the loading screen is gone and a character
// typed into the user-name field is there. Bytes are what crossed the wire (encoded, headers
// included) for every response of the load, as Chromium's network domain counts them. A
// second figure follows the sign-in to the home page (the app's first data request and its
// page drawn), with the same throttling.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'e2e', 'package.json'));
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
};
const runs = option('--runs', 7);
const cpu = option('--cpu', 4);
const base = (args[0] ?? 'http://127.0.0.1:8081').replace(/\/$/, '');
const executablePath = process.env.ATTAKA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const account = {
  username: process.env.ATTAKA_BENCH_USER ?? 'staff',
  password: process.env.ATTAKA_BENCH_PASSWORD ?? 'demo-staff-2024',
};

async function once() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'attaka-first-load-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 768 },
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.clearBrowserCache');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpu });
    let bytes = 0;
    const files = new Map();
    const urls = new Map();
    cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
    cdp.on('Network.loadingFinished', (e) => {
      bytes += e.encodedDataLength;
      const url = urls.get(e.requestId) ?? '?';
      files.set(url, (files.get(url) ?? 0) + e.encodedDataLength);
    });

    const start = Date.now();
    await page.goto(`${base}/login`, { waitUntil: 'commit' });
    const username = page.getByTestId('login-username');
    await username.waitFor({ state: 'visible', timeout: 60_000 });
    await page.getByTestId('boot-loading').waitFor({ state: 'detached', timeout: 60_000 });
    await username.type('s', { delay: 0 });
    if ((await username.inputValue()) !== 's') throw new Error('the user-name field did not take typing');
    const interactive = Date.now() - start;
    const loadBytes = bytes;
    const loadFiles = [...files.entries()];

    await username.fill(account.username);
    await page.getByTestId('login-password').fill(account.password);
    const signInStart = Date.now();
    await page.getByTestId('login-submit').click();
    await page.getByTestId('page-home').waitFor({ timeout: 60_000 });
    const home = Date.now() - signInStart;
    return { interactive, bytes: loadBytes, files: loadFiles, home };
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = [];
for (let i = 0; i < runs; i += 1) {
  results.push(await once());
  process.stderr.write(`first-load: run ${i + 1}/${runs}: ${results.at(-1).interactive} ms\n`);
}
const tti = results.map((r) => r.interactive);
const home = results.map((r) => r.home);
const bytes = results.map((r) => r.bytes);
const kb = (n) => Math.round(n).toLocaleString('en-US');

console.log(`First load of ${base}/login, ${runs} cold runs, Chromium ${executablePath}, CPU throttled ${cpu}×, 1280×768`);
console.log();
console.log('| measure | median | min | max | target |');
console.log('|---|--:|--:|--:|---|');
console.log(`| bytes transferred (encoded, headers included) | ${kb(median(bytes))} | ${kb(Math.min(...bytes))} | ${kb(Math.max(...bytes))} | ≤ 1,500,000 |`);
console.log(`| time to interactive, ms (login form takes typing) | ${kb(median(tti))} | ${kb(Math.min(...tti))} | ${kb(Math.max(...tti))} | ≤ 2,000 |`);
console.log(`| sign-in to the home page drawn, ms | ${kb(median(home))} | ${kb(Math.min(...home))} | ${kb(Math.max(...home))} | — |`);
console.log();
console.log('Files of the first run (bytes on the wire):');
for (const [url, n] of results[0].files.sort((a, b) => b[1] - a[1])) {
  console.log(`- ${url.replace(base, '')}: ${kb(n)}`);
}
