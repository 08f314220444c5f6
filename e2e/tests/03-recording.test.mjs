// Recording a day: the month calendar, a gathering recorded through the form with participants
// added by search, and the same by keyboard alone (Tab, Space, Enter, Ctrl+Enter) for a
// 15-person gathering within a minute.
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { Api } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { ACCOUNTS, todayJst } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import {
  ActivityCalendarPage,
  ActivityDayPage,
  GatheringForm,
  recordGatheringInUi,
  recordingScreensPresent,
} from '../pages/activity-pages.mjs';
import { LoginPage } from '../pages/login-page.mjs';

const browser = useBrowser();
const today = todayJst();
let people;

before(async () => {
  const staff = await Api.login(ACCOUNTS.staff);
  people = [
    await staff.registerPerson({ family_name: '鍵盤', given_name: '一子', family_kana: 'ケンバン', given_kana: 'カズコ', sex: 'F' }),
    await staff.registerPerson({ family_name: '画面', given_name: '次郎', family_kana: 'ガメン', given_kana: 'ジロウ' }),
  ];
});

/** Presses Tab until the element with `testid` has the focus (it must be reachable in order). */
async function tabTo(page, testid, { max = 120, backwards = false } = {}) {
  for (let i = 0; i < max; i += 1) {
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
    if (focused === testid) return i;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  assert.fail(`${testid} was not reached with ${max} presses of Tab`);
}

scenario(browser, 'a gathering is recorded through the form with participants found by search', async (page, t) => {
  await new LoginPage(page).signIn(ACCOUNTS.staff);
  if (!(await recordingScreensPresent(page))) {
    t.skip('this build has no recording screens (web/src/pages/activity_*.rs); 03-figures records through the API');
    return;
  }
  const calendar = await new ActivityCalendarPage(page).open();
  await expect(calendar.day(today)).toBeVisible();
  await screenshot(page, '05-activity-calendar');

  const form = await new GatheringForm(page).openNew(today);
  await form.field('title').fill('ふれあいサロン');
  await form.field('unregistered.elderly').fill('1');
  await form.selectPrevious.click();
  for (const p of people) {
    await form.add(p.common_id, p.common_id);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, '06-activity-form');
  await form.save.click();
  await new ActivityDayPage(page).waitSaved();
});

scenario(browser, 'a 15-person gathering is recorded by keyboard alone within a minute', async (page, t) => {
  if (!(await recordingScreensPresent(page))) {
    t.skip('this build has no recording screens (web/src/pages/activity_*.rs)');
    return;
  }
  await page.goto('/');
  await page.getByTestId('page-home').waitFor();
  const started = Date.now();
  const keys = page.keyboard;

  // Home → 活動記録 → 集い・教室などを記録, through the navigation.
  await page.locator('body').focus();
  await tabTo(page, 'nav-activities');
  await keys.press('Enter');
  await page.getByTestId('activity-calendar').waitFor();
  await tabTo(page, 'activity-new');
  await keys.press('Enter');
  const form = new GatheringForm(page);
  await form.form.waitFor();
  await page.getByTestId('activity-participant-item').first().waitFor();

  await tabTo(page, 'activity-form-title');
  await keys.type('いきいき百歳体操');
  await tabTo(page, 'activity-form-unregistered.child');
  await keys.press('Control+A');
  await keys.type('2');

  // Everyone who came last time, then two more found by kana, then one ticked with Space.
  await tabTo(page, 'activity-person-search');
  for (const kana of ['けんばん かずこ', 'がめん じろう']) {
    await keys.type(kana);
    await page.getByTestId('activity-person-search-result').first().waitFor();
    await keys.press('Enter');
  }
  for (const p of people) {
    await expect(form.participant(p.common_id)).toBeVisible();
  }
  await tabTo(page, 'activity-select-previous');
  await keys.press('Enter');
  let chosen = Number((await form.chosenCount.innerText()).match(/\d+/)[0]);
  // Tick unchosen people from the checklist until fifteen are chosen.
  for (let presses = 0; chosen < 15; presses += 1) {
    assert.ok(presses < 200, 'ran out of people in the checklist');
    await keys.press('Tab');
    const box = await page.evaluate(() => {
      const el = document.activeElement;
      return el?.type === 'checkbox' && el.closest('[data-testid="activity-checklist"]') && !el.checked
        ? el.getAttribute('data-testid')
        : null;
    });
    if (box) {
      await keys.press('Space');
      chosen += 1;
      await expect(form.chosenCount).toContainText(`${chosen}人`);
    }
  }
  await expect(form.headcount).toContainText(`延べ ${chosen + 2}人`);

  await keys.press('Control+Enter');
  await new ActivityDayPage(page).waitSaved();
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds < 60, `took ${seconds}s`);
});
