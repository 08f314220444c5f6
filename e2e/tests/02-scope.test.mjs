// A centre account cannot reach another centre's data through the UI: staff of C002 (an
// account the prefecture creates on this C001 node) open a C001 person's page by its address,
// search for them, and look at the figures.
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { Api } from '../lib/api.mjs';
import { ACCOUNTS, RUN_ID } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import { FiguresPage } from '../pages/figures-page.mjs';
import { LoginPage } from '../pages/login-page.mjs';
import { PersonDetailPage, PersonListPage } from '../pages/person-pages.mjs';

const browser = useBrowser();
const otherCentre = { username: `kagami-${RUN_ID}`, password: 'kagami-staff-2024!' };
let ours;

before(async () => {
  const pref = await Api.login(ACCOUNTS.pref);
  await pref.post('/accounts', {
    username: otherCentre.username,
    display_name: '鏡 職員',
    password: otherCentre.password,
    role: 'center_staff',
    scope: { level: 'center', code: 'C002' },
  });
  const staff = await Api.login(ACCOUNTS.staff);
  ours = await staff.registerPerson({
    family_name: '秘密',
    given_name: '花子',
    family_kana: 'ヒミツ',
    given_kana: 'ハナコ',
    sex: 'F',
  });
});

scenario(browser, "another centre's staff get a refusal, not the person, at their address", async (page) => {
  const shell = await new LoginPage(page).signIn(otherCentre);
  await shell.ready();
  await expect(shell.scope).toContainText('鏡');
  const detail = await new PersonDetailPage(page).open(ours.common_id);
  await expect(detail.error).toBeVisible();
  await expect(detail.card).toHaveCount(0);
  const text = await page.getByTestId('app-main').innerText();
  for (const secret of ['秘密', 'ヒミツ', ours.common_id.slice(5)]) {
    assert.ok(!text.includes(secret), `the page must not show ${secret}: ${text}`);
  }
});

scenario(browser, "another centre's people are not listed and do not turn up in a search", async (page) => {
  const list = await new PersonListPage(page).open();
  // This node keeps C001's registry: the server refuses the list to C002 (or it is empty).
  await expect(list.error.or(list.empty)).toBeVisible();
  await expect(list.rows).toHaveCount(0);
  const answered = page.waitForResponse((r) => r.url().includes('/api/v1/persons?') && r.url().includes('q='));
  await list.search.pressSequentially('ひみつ', { delay: 20 });
  await answered;
  await expect(list.error.or(list.empty)).toBeVisible();
  await expect(list.rows).toHaveCount(0);
  assert.ok(!(await page.getByTestId('app-main').innerText()).includes('秘密'));
});

scenario(browser, "another centre's figures are not counted in theirs", async (page) => {
  const figures = await new FiguresPage(page).open('?rows=');
  assert.equal(await figures.total('participations'), 0);
  assert.equal(await figures.total('unique_persons'), 0);
});

scenario(browser, 'the operator has no figures and no registry in the navigation, nor by address', async (page) => {
  await page.getByTestId('logout-button').click();
  await page.getByTestId('page-login').waitFor();
  const shell = await new LoginPage(page).signIn(ACCOUNTS.operator);
  await shell.ready();
  await expect(shell.navLink('nav-figures')).toHaveCount(0);
  await expect(shell.navLink('nav-persons')).toHaveCount(0);
  await page.goto('/figures');
  await page.getByTestId('page-home').waitFor();
  await expect(page.getByTestId('figures-table')).toHaveCount(0);
});
