// Waiting assertions on locators, on top of node:assert (playwright-core has no `expect`).
import assert from 'node:assert/strict';

const TIMEOUT = 10_000;

async function until(check, describe, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last.ok) return last.value;
    } catch (e) {
      last = { ok: false, value: e.message };
    }
    if (Date.now() > deadline) {
      assert.fail(`${describe()} (last seen: ${JSON.stringify(last?.value)})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function expect(locator) {
  return {
    /** Waits until the element's text contains `expected` (string or RegExp). */
    toContainText: (expected, timeout) =>
      until(
        async () => {
          const text = await locator.innerText({ timeout: 1000 });
          const ok = expected instanceof RegExp ? expected.test(text) : text.includes(expected);
          return { ok, value: text };
        },
        () => `expected ${locator} to contain ${expected}`,
        timeout,
      ),
    /** Waits until the element's text (trimmed) is exactly `expected`. */
    toHaveText: (expected, timeout) =>
      until(
        async () => {
          const text = (await locator.innerText({ timeout: 1000 })).trim();
          return { ok: text === expected, value: text };
        },
        () => `expected ${locator} to have text ${expected}`,
        timeout,
      ),
    /** Waits until an input's value is exactly `expected`. */
    toHaveValue: (expected, timeout) =>
      until(
        async () => {
          const value = await locator.inputValue({ timeout: 1000 });
          return { ok: value === expected, value };
        },
        () => `expected ${locator} to have value ${expected}`,
        timeout,
      ),
    toBeVisible: (timeout) =>
      until(
        async () => ({ ok: await locator.isVisible(), value: 'hidden' }),
        () => `expected ${locator} to be visible`,
        timeout,
      ),
    toBeHidden: (timeout) =>
      until(
        async () => ({ ok: await locator.isHidden(), value: 'visible' }),
        () => `expected ${locator} to be hidden`,
        timeout,
      ),
    toHaveCount: (n, timeout) =>
      until(
        async () => {
          const count = await locator.count();
          return { ok: count === n, value: count };
        },
        () => `expected ${locator} to match ${n} elements`,
        timeout,
      ),
    toHaveAttribute: (name, value, timeout) =>
      until(
        async () => {
          const actual = await locator.getAttribute(name, { timeout: 1000 });
          return { ok: actual === value, value: actual };
        },
        () => `expected ${locator} to have ${name}="${value}"`,
        timeout,
      ),
    toBeFocused: (timeout) =>
      until(
        async () => ({ ok: await locator.evaluate((el) => el === document.activeElement), value: 'not focused' }),
        () => `expected ${locator} to be focused`,
        timeout,
      ),
  };
}
