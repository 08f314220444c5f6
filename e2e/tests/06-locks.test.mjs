// Period locks (締め) through the UI: the prefecture locks a past month for centre C001 on the
// 期間ロック page, the centre's staff then find that month locked in their calendar, and the
// prefecture unlocks it (asked to confirm first, by keyboard); the history keeps it. A
// municipality reads the page without the means to lock; centre staff have no such page.
import assert from 'node:assert/strict';

import { screenshot } from '../lib/browser.mjs';
import { ACCOUNTS, fiscalYearOf, todayJst } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import { LoginPage } from '../pages/login-page.mjs';

const browser = useBrowser();
// April of the previous 年度: in the demo data, and no other browser test writes there.
const fiscalYear = fiscalYearOf(todayJst()) - 1;
const month = `${fiscalYear}-04`;
let lockRow;

// The centre pulls the hub's locks every 2 s in the browser tests (e2e/run.sh), so the
// calendar is opened again until the month shows the expected state, for a few intervals.
async function calendarShows(page, locked) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    await page.goto(`/activities?month=${month}`);
    await page.getByTestId('activity-month-totals').waitFor();
    const banners = await page.getByTestId('activity-locked').count();
    if ((banners > 0) === locked) return;
    assert.ok(Date.now() < deadline, `the calendar for ${month} still shows it ${locked ? 'unlocked' : 'locked'}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function signOut(page) {
  await page.getByTestId('logout-button').click();
  await page.getByTestId('login-username').waitFor();
}

scenario(browser, 'the prefecture locks a month for one centre on the 期間ロック page', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.pref);
  await shell.navLink('nav-locks').click();
  await expect(page.getByTestId('page-locks')).toBeVisible();
  await page.getByTestId('lock-form-level').selectOption('center');
  await page.getByTestId('lock-form-center').selectOption('C001');
  await page.getByTestId('lock-form-unit').selectOption('month');
  await page.getByTestId('lock-form-fiscal_year').selectOption(String(fiscalYear));
  await page.getByTestId('lock-form-month').selectOption(month);
  await page.getByTestId('lock-submit').click();
  await expect(page.getByTestId('locks-notice')).toContainText(`${fiscalYear}年4月をロックしました`);
  lockRow = page.locator(`tr[data-period="${month}"]`);
  await expect(lockRow).toContainText('あったかふれあいセンター 春野');
  await expect(lockRow).toContainText('有効');
  await screenshot(page, '12-period-locks');
  await signOut(page);
});

scenario(browser, 'a lock form left incomplete names the missing field and sends nothing', async (page) => {
  await new LoginPage(page).signIn(ACCOUNTS.pref);
  await page.goto('/period-locks');
  await page.getByTestId('lock-form-level').selectOption('municipality');
  await page.getByTestId('lock-submit').click();
  await expect(page.getByTestId('lock-form-error')).toBeVisible();
  await expect(page.locator('#lock-municipality-error')).toContainText('市町村を選んでください');
  await signOut(page);
});

scenario(browser, 'centre staff see the locked month in their calendar and have no lock page', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.staff);
  assert.equal(await shell.navLink('nav-locks').count(), 0);
  await calendarShows(page, true);
  await expect(page.getByTestId('activity-locked')).toContainText('締め済み');
  await page.goto('/period-locks');
  await page.getByTestId('page-home').waitFor();
  await signOut(page);
});

scenario(browser, 'a municipality reads the locks but cannot lock or unlock', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.city);
  await shell.navLink('nav-locks').click();
  await expect(page.locator(`tr[data-period="${month}"]`)).toContainText('有効');
  assert.equal(await page.getByTestId('lock-form').count(), 0);
  assert.equal(await page.locator('[data-testid^="lock-unlock-"]').count(), 0);
  await signOut(page);
});

scenario(browser, 'the prefecture unlocks it after confirming, by keyboard, and the history keeps it', async (page) => {
  await new LoginPage(page).signIn(ACCOUNTS.pref);
  await page.goto('/period-locks');
  const row = page.locator(`tr[data-period="${month}"]`);
  const unlock = row.locator('[data-testid^="lock-unlock-"]').first();
  await unlock.focus();
  await page.keyboard.press('Enter');
  await expect(row).toContainText('ロックを解除しますか');
  // The focus moved to the confirming button.
  await page.waitForFunction(
    () => document.activeElement?.dataset?.testid?.startsWith('lock-unlock-confirm-'),
    null,
    { timeout: 5000 },
  );
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('locks-notice')).toContainText('ロックを解除しました');
  // The list reloads after the notice: wait for it rather than count once.
  await expect(page.locator(`tr[data-period="${month}"]`)).toHaveCount(0);
  await page.getByTestId('locks-show-unlocked').check();
  await expect(page.locator(`tr[data-period="${month}"]`)).toContainText('解除済み');
  await signOut(page);
});

scenario(browser, 'after the unlock the centre can record in that month again', async (page) => {
  await new LoginPage(page).signIn(ACCOUNTS.staff);
  await calendarShows(page, false);
  await page.getByTestId('activity-new').waitFor();
  await signOut(page);
});
