// The status area: every signed-in page shows how this node's synchronisation with the
// prefecture hub stands, and leads to the 同期状況 page. The browser tests' node is a centre
// without a hub, so it says so (the hub side is covered by scripts/run.sh --check and the HTTP
// tests); the operator, who keeps nodes running, sees it too.
import assert from 'node:assert/strict';

import { screenshot } from '../lib/browser.mjs';
import { ACCOUNTS } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import { LoginPage } from '../pages/login-page.mjs';

const browser = useBrowser();

scenario(browser, 'centre staff see the sync state in the header and open its page by keyboard', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.staff);
  await shell.ready();
  const badge = page.getByTestId('header-sync');
  await expect(badge).toContainText('県ハブ連携なし');
  assert.equal(await badge.getAttribute('data-level'), 'off');
  await badge.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('page-sync')).toBeVisible();
  assert.equal(new URL(page.url()).pathname, '/sync');
  await expect(page.getByTestId('sync-summary')).toContainText('県ハブ連携なし');
  await expect(page.getByTestId('sync-not-configured')).toContainText('設定されていません');
  await screenshot(page, '11-sync');
  await page.getByTestId('sync-refresh').click();
  await expect(page.getByTestId('sync-summary')).toBeVisible();
  await shell.logout.click();
  await page.getByTestId('login-username').waitFor();
});

scenario(browser, 'the operator sees the same status area', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.operator);
  await shell.ready();
  await expect(page.getByTestId('header-sync')).toContainText('県ハブ連携なし');
  await page.getByTestId('header-sync').click();
  await expect(page.getByTestId('sync-not-configured')).toBeVisible();
});
