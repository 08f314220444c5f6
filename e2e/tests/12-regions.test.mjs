// Regional offices (福祉保健所, issue 16) on the hub: the prefecture edits a region on the
// 地域（福祉保健所） page by keyboard (a municipality another region holds is refused beside the
// members field); a third centre in 安芸 (C003, 室戸市) delivers a gathering to the hub by real
// sync; the prefecture's overview has the 福祉保健所別 level and its figures filter by region; the
// 安芸 office's account lands on its region's overview with the region's name in the header, sees
// only its municipalities in the figures (rows = region × municipality), filters by its region
// (another region's or a municipality's outside gives nothing), and downloads CSV and xlsx.
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { Api } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { ACCOUNTS, HUB_URL, todayJst } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { unzip } from '../lib/unzip.mjs';
import { expect } from '../pages/expect.mjs';
import { FiguresPage, OverviewPage, parseCount } from '../pages/figures-page.mjs';
import { pressEnterOn, signInOnHub, signOut } from '../pages/ops-pages.mjs';

const browser = useBrowser();

/** The 安芸 office's demo account (`attaka demo` on the hub). */
const AKI_OFFICE = { username: 'aki-office', password: 'demo-region-2024' };
/** What the prefecture renames 安芸 to on the regions page (the header shows it afterwards). */
const AKI_NAME = '安芸福祉保健所（安芸総合庁舎）';
/** The gathering C003 delivers: 4 + 3 unregistered participants. */
const C003_PARTICIPATIONS = 7;

// C003 (あったかふれあいセンター 室戸, 室戸市, in 安芸) has no node in this run: the prefecture
// issues its sync credential over the API and the test delivers one gathering of today with it,
// exactly as a centre node would (POST /sync/batches, the first batch of a new stream).
before(async () => {
  const pref = await Api.login(ACCOUNTS.pref, HUB_URL);
  const { credential } = await pref.post('/sync/credentials', { center: 'C003' });
  const c003 = new Api(credential, HUB_URL);
  const ack = await c003.post('/sync/batches', {
    center: 'C003',
    stream: crypto.randomUUID(),
    batch_seq: 1,
    entries: [
      {
        seq: 1,
        op: {
          upsert_activity: {
            id: crypto.randomUUID(),
            center: 'C003',
            site: null,
            date: todayJst(),
            function: 'tsudoi',
            start_time: '10:00',
            end_time: '12:00',
            staff_count: 2,
            volunteer_count: 1,
            unregistered: { elderly: 4, disabled: 0, child: 3, other: 0 },
            participations: [],
          },
        },
      },
    ],
  });
  assert.deepEqual([ack.last_seq, ack.applied], [1, 1], JSON.stringify(ack));
});

/** Presses Tab until `testid` has the focus (at most `max` times): the keyboard's way there. */
async function tabTo(page, testid, max = 15) {
  for (let i = 0; i < max; i += 1) {
    if (await page.evaluate((id) => document.activeElement?.dataset?.testid === id, testid)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`Tab never reached ${testid}`);
}

/** Signs in on the hub as the 安芸 office and waits for its landing page, the overview. */
async function signInAsAkiOffice(page) {
  await page.goto(`${HUB_URL}/login`);
  await page.getByTestId('login-username').fill(AKI_OFFICE.username);
  await page.getByTestId('login-password').fill(AKI_OFFICE.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-overview').waitFor();
}

/** Opens the hub's figures page with `query` and waits for its table. */
async function openHubFigures(page, query) {
  await page.goto(`${HUB_URL}/figures${query}`);
  await page.getByTestId('page-figures').waitFor();
  const figures = new FiguresPage(page);
  await figures.settled();
  return figures;
}

/** The checkboxes of one filter on the figures page, opened. */
async function filterBoxes(page, dimension) {
  const filter = page.getByTestId(`figures-filter-${dimension}`);
  if ((await filter.getAttribute('open')) === null) await filter.locator('summary').click();
  return filter.locator('input[type="checkbox"]');
}

async function testids(locator) {
  return locator.evaluateAll((els) => els.map((e) => e.dataset.testid));
}

scenario(browser, 'the prefecture edits a region by keyboard; a municipality of another region is refused beside the field', async (page) => {
  await signInOnHub(page, ACCOUNTS.pref);
  await pressEnterOn(page, 'nav-regions');
  await page.getByTestId('page-regions').waitFor();
  await expect(page.getByTestId('region-row-aki')).toContainText('室戸市（392022）');
  await expect(page.getByTestId('region-row-chuo-west')).toContainText('いの町（393860）');

  // 編集 on 安芸's row (Enter), a new name, then いの町 added at the end of the member lines.
  await page.getByRole('button', { name: '安芸福祉保健所を編集' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('region-name')).toBeFocused();
  await expect(page.getByTestId('region-code')).toHaveValue('aki');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(AKI_NAME);
  await tabTo(page, 'region-members');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\n393860 2009-04-01');
  await tabTo(page, 'region-save');
  await page.keyboard.press('Enter');

  // Refused: the message is under the members field, which has the focus; nothing saved.
  const message = page.getByTestId('region-members-error');
  await expect(message).toContainText('393860');
  await expect(message).toContainText('chuo-west');
  await expect(page.getByTestId('region-members')).toBeFocused();
  await expect(page.getByTestId('region-members')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('region-error')).toBeHidden();
  assert.equal(
    await page.getByTestId('region-members').getAttribute('aria-describedby'),
    'region-members-hint region-members-error',
  );
  await expect(page.getByTestId('region-row-aki')).toContainText('安芸福祉保健所');
  await page.getByTestId('region-form').evaluate((f) => f.scrollIntoView({ block: 'end' }));
  await screenshot(page, '18-regions');

  // The wrong line taken out again (still in the field, by keyboard), and saved.
  await page.getByTestId('region-members').focus();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  await tabTo(page, 'region-save');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('region-notice')).toContainText(`「${AKI_NAME}」を保存しました`);
  await expect(page.getByTestId('region-members-error')).toBeHidden();
  const aki = page.getByTestId('region-row-aki');
  await expect(aki).toContainText(AKI_NAME);
  await expect(aki).toContainText('室戸市（392022）');
  assert.ok(!(await aki.innerText()).includes('393860'), 'いの町 stays out of 安芸');
  await expect(page.getByTestId('region-row-chuo-west')).toContainText('いの町（393860）');
  await signOut(page);
});

scenario(browser, 'the prefecture overview has the 福祉保健所別 level, and its figures filter by region', async (page) => {
  await signInOnHub(page, ACCOUNTS.pref);
  await page.getByTestId('nav-overview').click();
  await page.getByTestId('page-overview').waitFor();
  const overview = new OverviewPage(page);
  await overview.settled();
  const regions = page.getByTestId('overview-regions');
  await expect(regions.getByTestId('stats-table')).toContainText(AKI_NAME);
  // 高知市 (C001 and C002 here) is in no region.
  await expect(regions.getByTestId('stats-table')).toContainText('所属なし');
  const rows = regions.getByTestId('stats-row');
  const akiRow = rows.filter({ hasText: AKI_NAME });
  assert.equal(parseCount(await akiRow.getByTestId('stats-cell-participations').innerText()), C003_PARTICIPATIONS);
  // The region rows add up to the prefecture's total.
  let sum = 0;
  for (const cell of await rows.getByTestId('stats-cell-participations').all()) sum += parseCount(await cell.innerText());
  assert.equal(sum, await overview.kpi('participations'), 'regions add up to the prefecture');
  await expect(page.getByTestId('overview-municipalities')).toContainText('室戸市');

  // The figures page offers every office and 所属なし as a filter; 安芸 alone is 室戸.
  const figures = await openHubFigures(page, '?rows=region,municipality&measures=participations,activities');
  const boxes = await filterBoxes(page, 'region');
  assert.deepEqual(await testids(boxes), [
    'figures-filter-region-aki',
    'figures-filter-region-chuo-east',
    'figures-filter-region-chuo-west',
    'figures-filter-region-susaki',
    'figures-filter-region-hata',
    'figures-filter-region-unknown',
  ]);
  await page.getByTestId('figures-filter-region-aki').check();
  await figures.settled();
  assert.match(page.url(), /filter=region%3Aaki/);
  await expect(page.getByTestId('figures-filter-region-summary')).toHaveText(AKI_NAME);
  await expect(figures.rows).toHaveCount(1);
  await expect(figures.rows.first()).toContainText('室戸市');
  assert.equal(await figures.total('participations'), C003_PARTICIPATIONS);
  await signOut(page);
});

scenario(browser, 'the 安芸 office lands on its overview with its name in the header and sees only its municipalities', async (page) => {
  await signInAsAkiOffice(page);
  // Its landing page is the region's overview, not ホーム.
  assert.match(new URL(page.url()).pathname, /^\/overview$/);
  await expect(page.getByTestId('header-scope')).toContainText(AKI_NAME);
  await expect(page.getByTestId('header-role')).toContainText('福祉保健所');
  const overview = new OverviewPage(page);
  await overview.settled();
  await expect(overview.scope).toContainText(AKI_NAME);
  await expect(page.getByTestId('overview-regions')).toHaveCount(0);
  await expect(overview.municipalities.getByTestId('stats-table')).toContainText('室戸市');
  assert.ok(!(await overview.municipalities.innerText()).includes('高知市'), '高知市 is outside 安芸');
  await expect(overview.centers.getByTestId('stats-table')).toContainText('室戸');
  assert.equal(await overview.kpi('participations'), C003_PARTICIPATIONS);
  await screenshot(page, '19-region-overview');

  // Figures by region and municipality: 安芸 and 室戸市 only.
  const figures = await openHubFigures(page, '?rows=region,municipality&measures=participations,activities');
  await expect(figures.rows).toHaveCount(1);
  await expect(figures.rows.first().getByTestId('stats-cell-region')).toHaveText(AKI_NAME);
  await expect(figures.rows.first().getByTestId('stats-cell-municipality')).toHaveText('室戸市');
  assert.equal(await figures.total('participations'), C003_PARTICIPATIONS);
  assert.equal(await figures.total('activities'), 1);
  assert.ok(!(await figures.table.innerText()).includes('高知市'));

  // Its filters offer its own office, municipalities and centres only.
  assert.deepEqual(await testids(await filterBoxes(page, 'region')), ['figures-filter-region-aki']);
  assert.deepEqual(await testids(await filterBoxes(page, 'municipality')), ['figures-filter-municipality-392022']);
  assert.deepEqual(await testids(await filterBoxes(page, 'center')), ['figures-filter-center-C003']);
  await page.getByTestId('figures-filter-region-aki').check();
  await figures.settled();
  assert.match(page.url(), /filter=region%3Aaki/);
  await expect(page.getByTestId('figures-filter-region-summary')).toHaveText(AKI_NAME);
  assert.equal(await figures.total('participations'), C003_PARTICIPATIONS);
  await page.getByTestId('figures-filter-clear').click();
  await figures.settled();
  assert.doesNotMatch(page.url(), /filter=/);

  // Another office's region or a municipality outside, asked for by address: nothing.
  for (const filter of ['region:hata', 'region:unknown', 'municipality:392014']) {
    const other = await openHubFigures(page, `?rows=municipality&measures=participations&filter=${encodeURIComponent(filter)}`);
    await expect(page.getByTestId('stats-empty')).toBeVisible();
    assert.equal(await other.total('participations'), 0, filter);
  }
  await signOut(page);
});

scenario(browser, 'the 安芸 office downloads its figures as CSV and as an Excel workbook', async (page) => {
  await signInAsAkiOffice(page);
  const figures = await openHubFigures(page, '?rows=region,municipality&measures=participations,activities');
  const csv = await figures.downloadCsv('utf-8-bom');
  await expect(figures.csvStatus).toContainText('ダウンロードしました');
  // Named for the office; the breakdown in the API's order of dimensions (市町村 before 福祉保健所).
  assert.match(csv.filename, /^集計_安芸福祉保健所.*_令和\d+年度_市町村×福祉保健所\.csv$/);
  assert.deepEqual([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 BOM');
  const lines = csv.bytes.subarray(3).toString('utf8').split('\r\n').filter((l) => l !== '');
  const header = lines[0].split(',');
  assert.deepEqual(
    [...header].sort(),
    ['市町村', '市町村コード', '実施回数', '延べ利用者数', '福祉保健所', '福祉保健所コード'].sort(),
    lines[0],
  );
  const first = Object.fromEntries(lines[1].split(',').map((v, i) => [header[i], v]));
  assert.deepEqual(first, {
    福祉保健所コード: 'aki',
    福祉保健所: AKI_NAME,
    市町村コード: '392022',
    市町村: '室戸市',
    延べ利用者数: String(C003_PARTICIPATIONS),
    実施回数: '1',
  });
  assert.equal(lines.length, 3, `one row and the total: ${lines.join(' / ')}`);
  assert.ok(lines.every((l) => !l.includes('392014')), lines.join('\n'));

  const xlsx = await figures.downloadXlsx();
  assert.match(xlsx.filename, /^集計_安芸福祉保健所.*_令和\d+年度_市町村×福祉保健所\.xlsx$/);
  const files = unzip(xlsx.bytes);
  const sheet = files['xl/worksheets/sheet1.xml'];
  assert.ok(sheet, Object.keys(files).join(' '));
  assert.match(sheet, /<is><t>福祉保健所<\/t><\/is>/);
  assert.match(sheet, /<is><t>室戸市<\/t><\/is>/);
  assert.ok(!sheet.includes('高知市'), 'no municipality outside 安芸 in the workbook');
  await signOut(page);
});
