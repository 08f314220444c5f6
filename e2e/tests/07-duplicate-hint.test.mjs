// The duplicate hint on the registration form, end to end: the hub has it on and C001 and C002
// hold the prefecture's key (e2e/run.sh). Someone is registered at C002 (through its API, as its
// staff would); C002 delivers the match key to the hub; then staff at C001 type the same kana
// (in half-width katakana) and birth date, are told the person may already be registered there,
// and register them under that common ID by keyboard. A person nobody has is offered nothing.
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { Api } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { ACCOUNTS, C002_URL, RUN_ID } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import { LoginPage } from '../pages/login-page.mjs';
import { PersonFormPage } from '../pages/person-pages.mjs';

const browser = useBrowser();

/** A birth date in 昭和 unique to this run: the demo people cannot match it by chance. */
function birthOfRun(offset) {
  const day = new Date(Date.UTC(1930, 0, 1) + ((parseInt(RUN_ID, 36) + offset) % 7000) * 86400000);
  const [y, m, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
  const iso = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return { iso, typed: `S${y - 1925}.${m}.${d}` };
}

const atC002 = birthOfRun(0);
const nobody = birthOfRun(3500);
let theirId;

const person = (birth) => ({
  familyName: '森岡',
  givenName: '幸子',
  familyKana: 'ﾓﾘｵｶ',
  givenKana: 'ｻﾁｺ',
  birth,
  sex: 'F',
  categories: ['elderly'],
  careLevel: 'shien1',
  household: 'alone',
});

before(async () => {
  // C002's own demo account `staff` belongs to C002.
  const c002 = await Api.login(ACCOUNTS.staff, C002_URL);
  const registered = await c002.registerPerson({
    family_name: '森岡',
    given_name: '幸子',
    family_kana: 'モリオカ',
    given_kana: 'サチコ',
    birth_date: atC002.iso,
    sex: 'F',
  });
  theirId = registered.common_id;
  assert.match(theirId, /^C002-/);
  for (let i = 0; i < 60; i += 1) {
    const status = await c002.get('/sync/status');
    if (status.outbox.backlog === 0 && status.outbox.last_success_at) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail('C002 did not deliver the registration to the hub');
});

scenario(browser, 'a person nobody has registered is offered nothing, and only kana and date are sent', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.staff);
  await shell.ready();
  const form = await new PersonFormPage(page).openNew();
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/persons/duplicate-hints'));
  await form.fill(person(nobody.typed));
  const response = await answered;
  assert.equal(response.status(), 200);
  const body = await response.json();
  assert.equal(body.status, 'checked');
  assert.deepEqual(body.candidates, []);
  // Only the kana and the date went to this node; nothing else of the form.
  const sent = response.request().postDataJSON();
  assert.deepEqual(Object.keys(sent).sort(), ['birth_date', 'family_kana', 'given_kana']);
  assert.equal(sent.birth_date, nobody.iso);
  await expect(page.getByTestId('person-duplicate-hint')).toHaveText('');
  assert.equal(await page.getByTestId('person-duplicate-hint-use').count(), 0);
});

scenario(browser, 'the person registered at C002 is offered and their common ID is used by keyboard', async (page) => {
  const form = await new PersonFormPage(page).openNew();
  await form.fill(person(atC002.typed));
  const hint = page.getByTestId(`person-duplicate-hint-${theirId}`);
  await expect(hint).toContainText(
    `この方は あったかふれあいセンター 鏡 で共通利用者番号 ${theirId} として登録済みの可能性があります`,
  );
  await screenshot(page, '13-duplicate-hint');

  const use = page.getByTestId('person-duplicate-hint-use');
  await use.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('person-duplicate-hint-chosen')).toBeVisible();
  assert.equal(await form.field('has_common_id').isChecked(), true);
  assert.equal(await form.field('common_id').inputValue(), theirId);
  // The field takes the focus once the form has redrawn: wait for it rather than read it once.
  await expect(page.locator('#person-common_id')).toBeFocused();

  const detail = await form.submit();
  await expect(detail.commonId).toHaveText(theirId);
});
