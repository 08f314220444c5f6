// Issue 14 item 6 on the 抽出 page, as the roles meet it: centre staff (allowed) find it in the
// menu and download the de-identified records as an Excel workbook and as CSV, each file named
// for what is inside; the operator (refused) has no such menu entry and a deep link says why;
// and a Shift_JIS CSV the characters of the data cannot be written in says so in plain Japanese
// (no API parameter names), the UTF-8 file downloading instead.
import assert from 'node:assert/strict';

import { Api } from '../lib/api.mjs';
import { ACCOUNTS, HUB_URL, RUN_ID } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { unzip } from '../lib/unzip.mjs';
import { expect } from '../pages/expect.mjs';
import { LoginPage, signOutIfSignedIn as signOut } from '../pages/login-page.mjs';
import { signInOnHub } from '../pages/ops-pages.mjs';

const browser = useBrowser();

/** Clicks `button` and returns the download's bytes and suggested file name. */
async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const chunks = [];
  for await (const chunk of await file.createReadStream()) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), filename: file.suggestedFilename() };
}

scenario(browser, 'centre staff open 抽出 from the menu and download records as a workbook and as CSV, named for what is inside', async (page) => {
  await new LoginPage(page).signIn(ACCOUNTS.staff);
  await page.getByTestId('nav-extracts').click();
  await page.getByTestId('page-extracts').waitFor();

  await page.getByTestId('extracts-kind-participations').check();
  const xlsx = await download(page, page.getByTestId('extracts-xlsx-download'));
  await expect(page.getByTestId('extracts-csv-status')).toContainText('ダウンロードしました');
  assert.match(xlsx.filename, /^抽出_参加記録_.+_令和\d+年度\.xlsx$/u, xlsx.filename);
  assert.ok(!xlsx.filename.includes('attaka'), `a Japanese name: ${xlsx.filename}`);
  assert.ok(xlsx.filename.includes('センター'), `the centre's name: ${xlsx.filename}`);
  const files = unzip(xlsx.bytes);
  const sheet = files['xl/worksheets/sheet1.xml'];
  assert.ok(sheet, `a workbook: ${Object.keys(files).join(' ')}`);
  assert.match(sheet, /参加記録（個人を特定しない記録）/u, 'the header block names what is inside');
  assert.match(sheet, /state="frozen"/, 'the header row is frozen');

  await page.getByTestId('extracts-kind-persons').check();
  await page.getByTestId('extracts-month').selectOption('4');
  await expect(page.getByTestId('extracts-period-label')).toContainText('4月');
  await page.getByTestId('extracts-csv-encoding').selectOption('utf-8-bom');
  const csv = await download(page, page.getByTestId('extracts-csv-download'));
  assert.match(csv.filename, /^抽出_登録者_.+_令和\d+年4月\.csv$/u, csv.filename);
  assert.deepEqual([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 with a BOM for Excel');
  const text = csv.bytes.subarray(3).toString('utf8');
  assert.doesNotMatch(text.split('\r\n')[0], /^表題/, 'no header block unless asked');
  // Asked for, the CSV starts with the same header block as the workbook.
  await page.getByTestId('extracts-csv-header-block').check();
  const withBlock = await download(page, page.getByTestId('extracts-csv-download'));
  assert.match(withBlock.bytes.subarray(3).toString('utf8'), /^表題,登録者（個人を特定しない記録）/u);
  await signOut(page);
});

scenario(browser, 'the operator has no 抽出 in the menu and a link to it says why', async (page) => {
  await signInOnHub(page, ACCOUNTS.operator);
  await expect(page.getByTestId('nav-extracts')).toHaveCount(0);
  await page.goto(`${HUB_URL}/extracts`);
  await page.getByTestId('page-home').waitFor();
  const denied = page.getByTestId('home-denied');
  await expect(denied).toContainText('抽出');
  await expect(denied).toContainText('運用保守担当');
  await expect(page.getByTestId('page-extracts')).toHaveCount(0);
  // The API refuses the operator too: nothing to download by another way.
  const operator = await Api.login(ACCOUNTS.operator, HUB_URL);
  await assert.rejects(operator.get('/extracts/activities?period=FY2024'), (e) => e.status === 403);
  await signOut(page);
});

/** Asks the `testid` page's buttons for a Shift_JIS CSV: a plain-Japanese refusal naming 𠮷. */
async function assertShiftJisRefusedPlainly(page, testid) {
  await page.getByTestId(`${testid}-csv-encoding`).selectOption('cp932');
  await page.getByTestId(`${testid}-csv-download`).click();
  const error = page.getByTestId(`${testid}-csv-error`);
  await expect(error).toContainText('Shift_JIS では表せない文字');
  await expect(error).toContainText('「𠮷」');
  await expect(error).toContainText('Excel 用（UTF-8 BOM 付き）');
  // No API parameter names or values.
  assert.doesNotMatch(await error.innerText(), /encoding|cp932|on_unmappable|labels|period=|format=|utf-8-bom|[a-z]+_[a-z]+/);
}

scenario(browser, 'a Shift_JIS CSV that cannot hold a name says so in plain Japanese, naming the character', async (page) => {
  // A centre renamed with 𠮷 (not in Shift_JIS) on the hub for this scenario, then named back.
  const pref = await Api.login(ACCOUNTS.pref, HUB_URL);
  const listed = await pref.get('/master/centers');
  const centers = Array.isArray(listed) ? listed : listed.items;
  const target = centers.filter((c) => !['C001', 'C002', 'C003'].includes(c.code)).at(-1) ?? centers.at(-1);
  const { code, name, municipality, operator_body, opened_on, closed_on } = target;
  const original = { code, name, municipality, operator_body, opened_on, closed_on: closed_on ?? null };
  await pref.request('PUT', `/centers/${target.code}`, { ...original, name: `𠮷田あったかふれあいセンター${RUN_ID}` });
  try {
    await signInOnHub(page, ACCOUNTS.pref);
    await page.getByTestId('nav-extracts').click();
    await page.getByTestId('page-extracts').waitFor();
    await page.getByTestId('extracts-kind-activities').check();
    await assertShiftJisRefusedPlainly(page, 'extracts');
    // The same records in UTF-8 hold it.
    await page.getByTestId('extracts-csv-encoding').selectOption('utf-8-bom');
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId('extracts-csv-download').click()]);
    assert.match(file.suggestedFilename(), /^抽出_活動記録_.+\.csv$/u);
    await signOut(page);
  } finally {
    await pref.request('PUT', `/centers/${original.code}`, original);
  }
});
