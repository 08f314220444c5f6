// The status area: every signed-in page shows how this node's synchronisation with the
// prefecture hub stands and leads to the 同期状況 page. The browser tests run C001 beside a
// real hub (and C002), so C001 really delivers: its page shows the hub, nothing waiting and no
// error; the operator sees the same; on the hub the prefecture sees both centres delivering.
import assert from 'node:assert/strict';

import { screenshot } from '../lib/browser.mjs';
import { ACCOUNTS, HUB_URL } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import { LoginPage } from '../pages/login-page.mjs';

const browser = useBrowser();

/** Asks the node again (the button on the 同期状況 page) until the summary says `text`. */
async function refreshUntil(page, text) {
  const summary = page.getByTestId('sync-summary');
  for (let i = 0; i < 40; i += 1) {
    await summary.waitFor();
    if ((await summary.textContent()).includes(text)) return;
    await page.waitForTimeout(500);
    await page.getByTestId('sync-refresh').click();
  }
  assert.fail(`the sync summary never said ${text}: ${await summary.textContent()}`);
}

scenario(browser, 'centre staff see the sync state in the header and open its page by keyboard', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.staff);
  await shell.ready();
  const badge = page.getByTestId('header-sync');
  await expect(badge).toContainText('県ハブ');
  await badge.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('page-sync')).toBeVisible();
  assert.equal(new URL(page.url()).pathname, '/sync');
  await refreshUntil(page, '県ハブへ送信済み');
  assert.equal(await page.getByTestId('sync-summary').getAttribute('data-level'), 'ok');
  await expect(page.getByTestId('sync-hub-url')).toHaveText(HUB_URL);
  await expect(page.getByTestId('sync-backlog')).toHaveText('0件');
  await expect(page.getByTestId('sync-last-error')).toHaveText('なし');
  await expect(page.getByTestId('sync-locks-error')).toHaveText('なし');
  assert.notEqual(await page.getByTestId('sync-last-success').textContent(), '—');
  // The header shares the state the page just fetched.
  await expect(badge).toContainText('県ハブへ送信済み');
  assert.equal(await badge.getAttribute('data-level'), 'ok');
  await screenshot(page, '11-sync');
  await shell.logout.click();
  await page.getByTestId('login-username').waitFor();
});

scenario(browser, 'the operator sees the same status area', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.operator);
  await shell.ready();
  await expect(page.getByTestId('header-sync')).toContainText('県ハブ');
  await page.getByTestId('header-sync').click();
  await expect(page.getByTestId('sync-outbox')).toBeVisible();
  await shell.logout.click();
  await page.getByTestId('login-username').waitFor();
});

scenario(browser, 'on the hub the prefecture sees both centres delivering', async (page) => {
  await page.goto(`${HUB_URL}/login`);
  await page.getByTestId('login-username').fill(ACCOUNTS.pref.username);
  await page.getByTestId('login-password').fill(ACCOUNTS.pref.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-home').waitFor();
  await expect(page.getByTestId('header-node-role')).toHaveText('県ハブ');
  await page.getByTestId('header-sync').click();
  await refreshUntil(page, 'センター 2か所から受信');
  await expect(page.getByTestId('sync-center-C001')).toContainText('春野');
  await expect(page.getByTestId('sync-center-C002')).toContainText('鏡');
  await screenshot(page, '14-hub-sync');
  await page.getByTestId('logout-button').click();
  await page.getByTestId('login-username').waitFor();
});
