// Log in; register a person whose kana is typed in half-width katakana and find them by
// hiragana; screenshots of the login page, the people list, the form and the person card.
import assert from 'node:assert/strict';

import { screenshot } from '../lib/browser.mjs';
import { ACCOUNTS } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import { LoginPage } from '../pages/login-page.mjs';
import { PersonDetailPage, PersonFormPage, PersonListPage } from '../pages/person-pages.mjs';

const browser = useBrowser();

// 暁 春子, typed as ｱｶﾂｷ ﾊﾙｺ; no demo person has this family name.
const person = {
  familyName: '暁',
  givenName: '春子',
  familyKana: 'ｱｶﾂｷ',
  givenKana: 'ﾊﾙｺ',
  birth: 'S23.5.1',
  sex: 'F',
  categories: ['elderly'],
  careLevel: 'shien1',
  household: 'alone',
};
let commonId;

scenario(browser, 'a wrong password is refused with a message on the login page', async (page) => {
  const login = await new LoginPage(page).open();
  await screenshot(page, '01-login');
  await login.fill({ username: ACCOUNTS.staff.username, password: 'not-the-password' });
  await login.submit.click();
  await expect(login.error).toBeVisible();
  assert.equal(new URL(page.url()).pathname, '/login');
});

scenario(browser, 'centre staff log in and the header shows the node, their role and scope', async (page) => {
  const shell = await new LoginPage(page).signIn(ACCOUNTS.staff);
  await shell.ready();
  await expect(shell.nodeRole).toHaveText('センター');
  await expect(shell.role).toHaveText('センター職員');
  await expect(shell.scope).toContainText('春野');
  await expect(shell.navLink('nav-persons')).toBeVisible();
  await expect(shell.navLink('nav-figures')).toBeVisible();
});

scenario(browser, 'the people list shows the registered people', async (page) => {
  const list = await new PersonListPage(page).open();
  assert.ok((await list.rows.count()) > 5, 'the demo registers 120 people');
  await expect(list.count).toContainText('人');
  await screenshot(page, '02-people-list');
});

scenario(browser, 'a person entered in half-width kana is registered with full-width kana', async (page) => {
  const form = await new PersonFormPage(page).openNew();
  await form.fill(person);
  await expect(form.field('birth_preview')).toContainText('昭和23年5月1日');
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, '03-person-form');
  const detail = await form.submit();
  await expect(detail.kana).toContainText('アカツキ');
  await expect(detail.kana).toContainText('ハルコ');
  await expect(detail.name).toContainText('暁');
  commonId = (await detail.commonId.innerText()).trim();
  assert.match(commonId, /^C001-/);
  await screenshot(page, '04-person-card');
});

scenario(browser, 'the person is found by hiragana and by half-width kana', async (page) => {
  assert.ok(commonId, 'registered in the previous scenario');
  const list = await new PersonListPage(page).open();
  for (const typed of ['あかつき', 'ｱｶﾂｷ ﾊﾙｺ', 'アカツキ']) {
    await list.searchFor(typed);
    await expect(list.rows).toHaveCount(1);
    await expect(list.row(0).id).toHaveText(commonId);
    await expect(list.row(0).kana).toContainText('アカツキ');
  }
  await list.row(0).link.click();
  const detail = new PersonDetailPage(page);
  await expect(detail.commonId).toHaveText(commonId);
});

scenario(browser, "the person's care level is corrected on the edit page", async (page) => {
  assert.ok(commonId, 'registered earlier in this file');
  const detail = await new PersonDetailPage(page).open(commonId);
  await page.getByTestId('person-edit').click();
  await expect(page.getByTestId('page-person-edit')).toBeVisible();
  const form = new PersonFormPage(page);
  // The form comes filled with what is recorded.
  assert.equal(await form.field('family_kana').inputValue(), 'アカツキ');
  await form.field('care_level').selectOption('shien2');
  await form.save.click();
  await expect(detail.saved).toContainText('変更を保存しました');
  await expect(page.getByTestId('person-detail-care_level')).toHaveText('要支援2');
});

scenario(browser, 'ending a registration asks for the date and reason and keeps the record', async (page) => {
  const detail = await new PersonDetailPage(page).open(commonId);
  await page.getByTestId('person-end').click();
  await expect(page.getByTestId('page-person-end')).toBeVisible();
  // Without a reason nothing is saved and the field is named.
  await page.getByTestId('end-save').click();
  await expect(page.getByTestId('end-form-errors')).toContainText('終了理由');
  await page.getByTestId('end-form-end_reason').selectOption('moved');
  await page.getByTestId('end-save').click();
  await expect(detail.saved).toContainText('登録を終了しました');
  await expect(page.getByTestId('person-ended-badge')).toHaveText('登録終了');
  await expect(page.getByTestId('person-detail-ended')).toContainText('転居');
  // The common ID and card stay; the person is gone from the default list.
  await expect(detail.commonId).toHaveText(commonId);
  const list = await new PersonListPage(page).open();
  await list.searchFor('あかつき');
  await expect(list.rows).toHaveCount(0);
});
