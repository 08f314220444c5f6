// Figures: record a gathering and see 延べ (participations) and 実 (unique persons) change;
// download the CSV (UTF-8 with BOM and Japanese headers, or Shift_JIS); the print view fits
// one A4 portrait page; officers see their overview and suppressed cells as ＊.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before } from 'node:test';

import { Api, apiOfPage } from '../lib/api.mjs';
import { screenshot, VIEWPORT } from '../lib/browser.mjs';
import { ACCOUNTS, ARTIFACT_DIR, todayJst } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { unzip } from '../lib/unzip.mjs';
import { expect } from '../pages/expect.mjs';
import { FiguresPage, OverviewPage } from '../pages/figures-page.mjs';
import { LoginPage } from '../pages/login-page.mjs';
import { recordGatheringInUi, recordingScreensPresent } from '../pages/activity-pages.mjs';

const browser = useBrowser();
const today = todayJst();
const thisMonth = today.slice(0, 7);
let newcomers;

before(async () => {
  // Two people who have never taken part: the gathering adds exactly two to 実利用者数.
  const staff = await Api.login(ACCOUNTS.staff);
  newcomers = [
    await staff.registerPerson({ family_name: '初参加', given_name: '一郎', family_kana: 'ハツサンカ', given_kana: 'イチロウ' }),
    await staff.registerPerson({ family_name: '初参加', given_name: '二郎', family_kana: 'ハツサンカ', given_kana: 'ジロウ' }),
  ];
});

scenario(browser, 'recording a gathering adds to 延べ and 実 on the figures page', async (page) => {
  await new LoginPage(page).signIn(ACCOUNTS.staff);
  const figures = await new FiguresPage(page).open();
  await expect(figures.periodLabel).toContainText('年度');
  const before = {
    participations: await figures.total('participations'),
    unique: await figures.total('unique_persons'),
    activities: await figures.total('activities'),
  };

  const unregistered = { elderly: 2, child: 1 };
  const gathering = {
    date: today,
    title: 'いきいき百歳体操',
    participants: newcomers.map((p) => p.common_id),
    unregistered,
  };
  if (await recordingScreensPresent(page)) {
    await recordGatheringInUi(page, gathering);
  } else {
    // FALLBACK while the recording screens (pages/activity_*.rs) are not in the tree: the
    // gathering is recorded through the API with the signed-in page's own token.
    await (await apiOfPage(page)).recordGathering(gathering);
  }

  await figures.open();
  assert.equal(await figures.total('participations'), before.participations + 2 + 3, '延べ: 2 people + 3 unregistered');
  assert.equal(await figures.total('unique_persons'), before.unique + 2, '実: the two newcomers');
  assert.equal(await figures.total('activities'), before.activities + 1, '実施回数');
  await expect(figures.chart.getByTestId('chart-line')).toBeVisible();
  await screenshot(page, '08-figures-trend');
});

scenario(browser, 'a breakdown by group shows bars, the table and its totals row', async (page) => {
  const figures = await new FiguresPage(page).open('?rows=group');
  await expect(figures.rows).toHaveCount(4);
  await expect(figures.chart.getByTestId('chart-bar-item')).toHaveCount(4);
  const elderly = await figures.rowValues('高齢者', ['participations', 'unique_persons']);
  assert.ok(elderly.participations > 0);
  // Choosing the month as well turns the chart into lines, one per group.
  await figures.toggleRow('month');
  await expect(figures.chart.getByTestId('chart-line-series')).toHaveCount(4);
  await figures.toggleRow('month');
  await expect(figures.chart.getByTestId('chart-bar-item')).toHaveCount(4);
  await screenshot(page, '07-figures');
});

scenario(browser, 'the period can be a month or a range of dates, shown in 和暦, and filters narrow the table', async (page) => {
  const figures = await new FiguresPage(page).open('?rows=');
  const yearTotal = await figures.total('participations');
  const [y, m] = thisMonth.split('-').map(Number);

  await page.getByTestId('figures-period-month').check();
  await page.getByTestId('figures-month').selectOption(thisMonth);
  await figures.settled();
  await expect(figures.periodLabel).toHaveText(`令和${y - 2018}年${m}月（${y}年${m}月）`);
  assert.ok(decodeURIComponent(page.url()).includes(`period=${thisMonth}`), page.url());
  const monthTotal = await figures.total('participations');
  assert.ok(monthTotal > 0 && monthTotal <= yearTotal, `${monthTotal} of ${yearTotal}`);

  await page.getByTestId('figures-period-range').check();
  await page.getByTestId('figures-from').fill(`${thisMonth}-01`);
  await page.getByTestId('figures-to').fill(today);
  await figures.settled();
  await expect(page.getByTestId('figures-from-wareki')).toHaveText(`令和${y - 2018}年${m}月1日`);
  await expect(figures.periodLabel).toContainText(`（${thisMonth}-01〜${today}）`);
  assert.equal(await figures.total('participations'), monthTotal, 'the month so far is the month');

  await page.getByTestId('figures-period-fy').check();
  await page.getByTestId('figures-filter-function').locator('summary').click();
  await page.getByTestId('figures-filter-function-tsudoi').check();
  await figures.settled();
  await expect(page.getByTestId('figures-filter-function-summary')).toHaveText('集い');
  await expect(page.getByTestId('figures-filters')).toHaveText('機能：集い');
  assert.ok(decodeURIComponent(page.url()).includes('filter=function:tsudoi'), page.url());
  const gatherings = await figures.total('participations');
  assert.ok(gatherings > 0 && gatherings < yearTotal, `${gatherings} of ${yearTotal}`);

  // The satellite (サテライト 東諸木) as a second filter: both apply.
  await page.getByTestId('figures-filter-site').locator('summary').click();
  await page.getByTestId('figures-filter-site-C001-S01').check();
  await figures.settled();
  await expect(page.getByTestId('figures-filters')).toHaveText('サテライト：サテライト 東諸木　機能：集い');
  await expect(page.getByTestId('figures-error')).toHaveCount(0);
  assert.ok((await figures.total('participations')) <= gatherings);
});

scenario(browser, 'the CSV download is UTF-8 with a BOM and Japanese headers, or Shift_JIS', async (page) => {
  const figures = await new FiguresPage(page).open(`?rows=month,group&measures=participations,unique_persons`);
  const utf8 = await figures.downloadCsv('utf-8-bom');
  await expect(figures.csvStatus).toContainText('ダウンロードしました');
  // Named for what is inside: 集計_<scope>_<period>_<breakdown>.csv (the server's filename*).
  assert.match(utf8.filename, /^集計_.+_令和\d+年度_月×対象区分\.csv$/);
  assert.deepEqual([...utf8.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 BOM');
  const text = utf8.bytes.subarray(3).toString('utf8');
  const [header, first] = text.split('\r\n');
  assert.equal(header, '月コード,月,対象区分コード,対象区分,延べ利用者数,実利用者数');
  assert.match(first, /^\d{4}-\d{2},令和\d+年\d+月,/);
  assert.match(text, /\r\n合計,/);

  const sjis = await figures.downloadCsv('cp932');
  assert.notEqual(sjis.bytes[0], 0xef, 'no BOM in Shift_JIS');
  const decoded = new TextDecoder('shift_jis').decode(sjis.bytes);
  assert.ok(decoded.startsWith(header), decoded.slice(0, 80));
  fs.mkdirSync(ARTIFACT_DIR, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACT_DIR, 'figures.csv'), utf8.bytes);
});

scenario(browser, 'the Excel download is a workbook named for what is inside, with typed cells and a frozen header row', async (page) => {
  const figures = await new FiguresPage(page).open(`?rows=month,group&measures=participations,unique_persons`);
  const xlsx = await figures.downloadXlsx();
  await expect(figures.csvStatus).toContainText('ダウンロードしました');
  assert.match(xlsx.filename, /^集計_.+_令和\d+年度_月×対象区分\.xlsx$/);
  // A zip (the workbook opens): its sheet has the header block, the header row frozen under
  // it, month codes as text and counts as numbers.
  const files = unzip(xlsx.bytes);
  assert.ok(files['[Content_Types].xml'] && files['xl/workbook.xml'], Object.keys(files).join(' '));
  const sheet = files['xl/worksheets/sheet1.xml'];
  assert.match(sheet, /<pane [^>]*ySplit="\d+"[^>]*state="frozen"/);
  assert.match(sheet, /<cols>/);
  assert.match(sheet, /<is><t>表題<\/t><\/is>/);
  assert.match(sheet, /<is><t>月コード<\/t><\/is>/);
  assert.match(sheet, /t="inlineStr"[^>]*><is><t>\d{4}-\d{2}<\/t>/, 'a month code is text');
  assert.match(sheet, /<c r="[E-F]\d+" s="\d+"><v>\d+<\/v><\/c>/, 'a count is a number');
  fs.mkdirSync(ARTIFACT_DIR, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACT_DIR, 'figures.xlsx'), xlsx.bytes);
});

scenario(browser, 'the print view hides the controls and fits one A4 portrait page', async (page) => {
  const figures = await new FiguresPage(page).open('?rows=month&measures=participations,unique_persons,activities');
  await page.emulateMedia({ media: 'print' });
  try {
    await expect(figures.controls).toBeHidden();
    await expect(page.getByTestId('app-header')).toBeHidden();
    await expect(figures.print).toBeHidden();
    await expect(figures.table).toBeVisible();
    await expect(page.locator('.print-title').first()).toBeVisible();
    // A4 at 96 dpi, as the page will be laid out on paper.
    await page.setViewportSize({ width: 794, height: 1123 });
    await screenshot(page, '09-figures-print');
    const pdf = (await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true })).toString('latin1');
    const pages = pdf.match(/\/Type\s*\/Page(?!s)/g) ?? [];
    assert.equal(pages.length, 1, 'a 年度 by month fits one A4 page');
  } finally {
    await page.emulateMedia({ media: 'screen' });
    await page.setViewportSize(VIEWPORT);
  }
});

scenario(browser, 'the prefecture overview shows 実利用者 by the four groups, by municipality and centre, and the month trend', async (page) => {
  await page.getByTestId('logout-button').click();
  await page.getByTestId('page-login').waitFor();
  const shell = await new LoginPage(page).signIn(ACCOUNTS.pref);
  await shell.ready();
  await expect(shell.navLink('nav-persons')).toHaveCount(0);
  await shell.navLink('nav-overview').click();
  const overview = new OverviewPage(page);
  await page.getByTestId('page-overview').waitFor();
  await overview.settled();
  await expect(overview.scope).toContainText('高知県全域');
  await expect(overview.groups.getByTestId('stats-row')).toHaveCount(4);
  // The demo records one centre (C001, 高知市); a hub would list every centre in scope.
  await expect(overview.municipalities.getByTestId('stats-table')).toContainText('高知市');
  await expect(overview.centers.getByTestId('stats-table')).toContainText('春野');
  await expect(overview.months.getByTestId('chart-line')).toHaveCount(2);
  const unique = await overview.kpi('unique_persons');
  const figures = await new FiguresPage(page).open('?rows=group&measures=unique_persons');
  assert.equal(await figures.total('unique_persons'), unique, 'the overview and the figures page agree');
  await page.goBack();
  await overview.settled();
  await screenshot(page, '10-overview');
});

scenario(browser, 'a municipality officer sees small cells as ＊ with a note on suppression', async (page) => {
  await page.getByTestId('logout-button').click();
  await page.getByTestId('page-login').waitFor();
  await new LoginPage(page).signIn(ACCOUNTS.city);
  const figures = await new FiguresPage(page).open('?rows=group&measures=participations,unique_persons');
  await expect(figures.suppressionNote).toContainText('10人未満');
  const disabled = await figures.rowValues('障害のある人', ['unique_persons']);
  assert.equal(disabled.unique_persons, null, 'fewer than 10 people: hidden');
  await expect(figures.table.locator('.cell-suppressed').first()).toHaveText('＊');
});
