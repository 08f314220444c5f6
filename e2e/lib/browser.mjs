// One headless Chromium per test file (Debian's, driven by playwright-core), a fresh profile
// each time, pages at 1280×768 in Japanese and Japan time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { ARTIFACT_DIR, BASE_URL, CHROMIUM, SCREENSHOT_DIR } from './env.mjs';

export const VIEWPORT = { width: 1280, height: 768 };

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser with a fresh profile; `close()` removes the profile. */
export async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'attaka-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: VIEWPORT,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    acceptDownloads: true,
    baseURL: BASE_URL,
  });
  context.setDefaultTimeout(15_000);
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  return {
    context,
    /** Uncaught errors in any page (a Rust panic shows up here). */
    errors,
    async newPage() {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      return page;
    },
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a PNG of what the page shows to docs/screenshots/<name>.png. */
export async function screenshot(page, name, options = {}) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // No blinking caret or focus ring left over from typing in a committed picture.
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.screenshot({ path: file, animations: 'disabled', ...options });
  return file;
}

/** On failure: a full-page picture of where the test was, under e2e/artifacts/. */
export async function keepEvidence(page, name) {
  try {
    fs.mkdirSync(ARTIFACT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACT_DIR, `${name}.png`), fullPage: true });
  } catch {
    // The page may be gone already; the assertion message is what matters.
  }
}
