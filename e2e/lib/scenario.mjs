// A test file's browser and its scenarios: one Chromium per file, one page, evidence kept under
// e2e/artifacts/ when a scenario fails, and no panic of the app tolerated.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { keepEvidence, launch } from './browser.mjs';

export function useBrowser() {
  const state = { browser: null, page: null };
  before(async () => {
    state.browser = await launch();
    state.page = await state.browser.newPage();
  });
  after(async () => {
    await state.browser?.close();
  });
  return state;
}

/** `test(name)` run on the file's page; `fn(page, t)`. */
export function scenario(state, name, fn, options = {}) {
  test(name, options, async (t) => {
    const seen = state.browser.errors.length;
    try {
      await fn(state.page, t);
    } catch (e) {
      await keepEvidence(state.page, name.replace(/[^\p{L}\p{N}]+/gu, '-').slice(0, 60));
      // A failed scenario may leave its account signed in; the next one starts signed out, so
      // one failure is reported once instead of as every scenario after it.
      await state.page.evaluate(() => sessionStorage.clear()).catch(() => {});
      throw e;
    }
    // The app must not have crashed (a Rust panic is logged as "panicked at …"), nor have been
    // stopped by the node's Content-Security-Policy (the browser logs a refusal).
    const crashes = state.browser.errors.slice(seen).filter((e) => /panicked|RuntimeError|unreachable/.test(e));
    assert.deepEqual(crashes, [], 'the app crashed');
    const refused = state.browser.errors.slice(seen).filter((e) => /Content Security Policy|Content-Security-Policy/i.test(e));
    assert.deepEqual(refused, [], 'the Content-Security-Policy refused something the app needs');
  });
}
