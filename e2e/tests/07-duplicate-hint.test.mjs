// The optional duplicate hint on the registration form. The browser tests' node is a centre
// without a hub or key, so the real server answers `disabled` and the form shows nothing (first
// scenario). The hub's side — kana in any script, another birth date, roles, nothing personal on
// the hub — is covered by the HTTP tests (api/tests/api/duplicate_hints.rs) with a real hub and
// two centres; the second scenario answers the look-up in the browser as such a hub would, to
// check what staff see and that the offered ID is registered through the existing reuse path.
import assert from 'node:assert/strict';

import { screenshot } from '../lib/browser.mjs';
import { ACCOUNTS, RUN_ID } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import { LoginPage } from '../pages/login-page.mjs';
import { PersonFormPage } from '../pages/person-pages.mjs';

const browser = useBrowser();
const HINT_URL = '**/api/v1/persons/duplicate-hints';
/** A valid common ID of another centre (Damm check digit). */
const OTHER_ID = 'C012-000123-8';

const person = {
  familyName: '山本',
  givenName: `花子${RUN_ID}`,
  familyKana: 'ﾔﾏﾓﾄ',
  givenKana: 'ﾊﾅｺ',
  birth: 'S23.5.1',
  sex: 'F',
  categories: ['elderly'],
  careLevel: 'shien1',
  household: 'alone',
};

scenario(browser, 'with the hint off the form asks once the kana and birth date are in and shows nothing', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.staff);
  await shell.ready();
  const form = await new PersonFormPage(page).openNew();
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/persons/duplicate-hints'));
  await form.fill(person);
  const response = await answered;
  assert.equal(response.status(), 200);
  const body = await response.json();
  assert.equal(body.status, 'disabled');
  assert.deepEqual(body.candidates, []);
  // Only the kana and the date went to this node; nothing else of the form.
  const sent = response.request().postDataJSON();
  assert.deepEqual(Object.keys(sent).sort(), ['birth_date', 'family_kana', 'given_kana']);
  assert.equal(sent.birth_date, '1948-05-01');
  await expect(page.getByTestId('person-duplicate-hint')).toHaveText('');
  assert.equal(await page.getByTestId('person-duplicate-hint-use').count(), 0);
});

scenario(browser, 'a candidate is offered and its common ID is used by keyboard', async (page) => {
  const asked = [];
  await page.route(HINT_URL, async (route) => {
    asked.push(route.request().postDataJSON());
    await route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        status: 'checked',
        candidates: [{ common_id: OTHER_ID, center_code: 'C012', center_name: '大豊町あったかふれあいセンター' }],
      }),
    });
  });
  try {
    const form = await new PersonFormPage(page).openNew();
    await form.fill(person);
    const hint = page.getByTestId(`person-duplicate-hint-${OTHER_ID}`);
    await expect(hint).toContainText(
      `この方は 大豊町あったかふれあいセンター で共通利用者番号 ${OTHER_ID} として登録済みの可能性があります`,
    );
    assert.ok(asked.length >= 1 && asked.at(-1).family_kana === 'ﾔﾏﾓﾄ', JSON.stringify(asked));
    await screenshot(page, '13-duplicate-hint');

    const use = page.getByTestId('person-duplicate-hint-use');
    await use.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('person-duplicate-hint-chosen')).toBeVisible();
    assert.equal(await form.field('has_common_id').isChecked(), true);
    assert.equal(await form.field('common_id').inputValue(), OTHER_ID);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'person-common_id');

    const detail = await form.submit();
    await expect(detail.commonId).toHaveText(OTHER_ID);
  } finally {
    await page.unroute(HINT_URL);
  }
});
