// Issue 14 items 5 and 7 as staff and officers meet them: the centre chart gives every full
// name (never 「あったかふれあいセンタ…」), the period not over yet is marked 「途中」 and drawn
// apart, a single period is never a one-point line, 開所日数 says it counts centre-days, a
// filter forced by the URL is named; the day and calendar prints (PDF, A4 portrait) squeeze no
// column and keep the totals with the month, and the figures print says when in 和暦 and uses no
// API names.
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { Api } from '../lib/api.mjs';
import { screenshot } from '../lib/browser.mjs';
import { ACCOUNTS, fiscalYearOf, HUB_URL, RUN_ID, todayJst } from '../lib/env.mjs';
import { asPrinted, pageRules, pdfPages, pdfPortrait, squeezedCells } from '../lib/print.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { recordingScreensPresent } from '../pages/activity-pages.mjs';
import { expect } from '../pages/expect.mjs';
import { FiguresPage, OverviewPage } from '../pages/figures-page.mjs';
import { LoginPage, signOutIfSignedIn as signOut } from '../pages/login-page.mjs';

const browser = useBrowser();
const today = todayJst();
const thisMonth = today.slice(0, 7);
const [thisYear, thisMonthNumber] = thisMonth.split('-').map(Number);
const lastMonth = thisMonthNumber === 1 ? `${thisYear - 1}-12` : `${thisYear}-${String(thisMonthNumber - 1).padStart(2, '0')}`;
/** The long 名目 that used to print one character per line. */
const LONG_TITLE = `いきいき百歳体操と口腔ケア・栄養のミニ講座（秋の特別編）${RUN_ID}`;

before(async () => {
  // Six gatherings today with long titles: the day print the issue describes.
  const staff = await Api.login(ACCOUNTS.staff);
  for (let i = 1; i <= 6; i += 1) {
    await staff.recordGathering({ date: today, title: `${LONG_TITLE}その${i}`, participants: [], unregistered: { elderly: i } });
  }
});

/** Signs in as `account` unless a page of the app is already signed in (a failed scenario signs out). */
async function signedIn(page, account) {
  await page.goto('/');
  await page.getByTestId('page-home').or(page.getByTestId('page-login')).first().waitFor();
  if ((await page.getByTestId('page-login').count()) > 0) await new LoginPage(page).signIn(account);
}

scenario(browser, 'the centre chart of the hub overview gives every centre its full name, readable', async (page) => {
  await page.goto(`${HUB_URL}/login`);
  await page.getByTestId('login-username').fill(ACCOUNTS.pref.username);
  await page.getByTestId('login-password').fill(ACCOUNTS.pref.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-home').waitFor();
  const overview = new OverviewPage(page);
  const chart = overview.centers.getByTestId('chart-bar');
  // A fresh run's hub has figures once the centres have delivered (a sync round or two).
  for (let tries = 0; ; tries += 1) {
    await page.goto(`${HUB_URL}/overview`);
    await page.getByTestId('page-overview').waitFor();
    await overview.settled();
    if ((await chart.count()) > 0) break;
    assert.ok(tries < 30, 'the hub never had figures by centre');
    await page.waitForTimeout(3000);
  }
  const names = (await overview.centers.getByTestId('stats-cell-center').allInnerTexts()).map((n) => n.trim());
  assert.ok(names.length >= 1, 'the hub has centres with figures');
  const labels = await chart.evaluate((svg) => {
    const box = svg.viewBox.baseVal;
    return [...svg.querySelectorAll('[data-testid="chart-bar-label"]')].map((label) => {
      const b = label.getBBox();
      const lines = [...label.querySelectorAll('tspan')];
      return {
        text: lines.map((t) => t.textContent).join(''),
        inside: b.x >= -0.5 && b.x + b.width <= box.width + 0.5,
        // Rendered height of one line in CSS pixels: what a reader's eye gets.
        linePx: Math.min(...lines.map((t) => t.getBoundingClientRect().height)),
      };
    });
  });
  const strip = (s) => s.replace(/[\s　]/g, '');
  assert.deepEqual(labels.map((l) => strip(l.text)), names.map(strip), 'each bar is named in full, in table order');
  for (const l of labels) {
    assert.ok(!l.text.includes('…'), `not cut: ${l.text}`);
    assert.ok(l.inside, `inside the drawing: ${l.text}`);
    assert.ok(l.linePx >= 12, `readable (${l.linePx.toFixed(1)} px): ${l.text}`);
  }
  // The total over several centres says what it counts.
  await expect(page.getByTestId('overview-kpi-open_days')).toContainText('延べ開所日数（センター日数）');
  // …and its longer heading wraps in its column, squeezing no other in the half-width card.
  const groups = await squeezedCells(page, '[data-testid="overview-groups-table"]');
  assert.deepEqual(groups.narrow, [], 'no cell of the group table narrower than two characters');
  await screenshot(page, '20-overview-centres');
  await signOut(page);
  await page.goto('/login');
});

scenario(browser, 'this month is marked 途中 and drawn apart, and a single month is bars, never a one-point line', async (page) => {
  await new LoginPage(page).signIn(ACCOUNTS.staff);
  const figures = await new FiguresPage(page).open('?rows=month&measures=participations');
  await expect(page.getByTestId('figures-partial')).toHaveText('途中');
  const lines = await figures.chart.getByTestId('chart-line').count();
  if (lines > 0) {
    // Several months: this month's slot is shaded and labelled, its point hollow, the last
    // segment dashed in its own path; a note says what 途中 means.
    // SVG text has no innerText: its textContent.
    await expect(figures.chart.getByTestId('chart-partial-mark')).toHaveCount(1);
    assert.equal(await figures.chart.getByTestId('chart-partial-mark').textContent(), '途中');
    await expect(figures.chart.locator('circle.chart-point-partial')).toHaveCount(1);
    const partialPath = await figures.chart.locator('path.chart-line-partial').getAttribute('d');
    assert.match(partialPath ?? '', /^M[\d.]+,[\d.]+ L/, 'the segment into this month is drawn apart');
  } else {
    await expect(figures.chart.locator('[data-testid="chart-bar-item"][data-partial="true"]')).toHaveCount(1);
  }
  await expect(figures.chart.getByTestId('chart-partial-note')).toContainText('途中');

  // One month: bars (this month, 途中), no line of one point.
  await figures.open(`?period=${thisMonth}&rows=month&measures=participations`);
  await expect(figures.rows).toHaveCount(1);
  await expect(figures.chart.getByTestId('chart-line')).toHaveCount(0);
  await expect(figures.chart.getByTestId('chart-bar')).toBeVisible();
  const bar = figures.chart.getByTestId('chart-bar-item');
  await expect(bar).toHaveCount(1);
  await expect(bar).toHaveAttribute('data-partial', 'true');
  assert.match(await bar.getByTestId('chart-bar-label').textContent(), /（途中）$/);
  await screenshot(page, '21-figures-one-month');

  // A month that is over: bars, nothing 途中.
  await figures.open(`?period=${lastMonth}&rows=month&measures=participations`);
  await expect(figures.chart.getByTestId('chart-line')).toHaveCount(0);
  await expect(page.getByTestId('figures-partial')).toHaveCount(0);
  await expect(figures.chart.getByTestId('chart-partial-note')).toHaveCount(0);

  // The overview of this 年度: 途中 beside the year, and on the month trend.
  const overview = await new OverviewPage(page).open();
  await expect(page.getByTestId('overview-partial')).toHaveText('途中');
  const trend = overview.months.getByTestId('chart-line');
  if ((await trend.count()) > 0) {
    assert.ok((await overview.months.getByTestId('chart-partial-mark').count()) >= 1, 'this month marked on the trend');
  } else {
    assert.ok((await overview.months.locator('[data-partial="true"]').count()) >= 1, 'this month marked');
  }
});

scenario(browser, 'a filter the URL forces is shown by its name, not its code', async (page) => {
  await signOut(page);
  await new LoginPage(page).signIn(ACCOUNTS.city);
  // A municipality officer has no 市町村 filter to choose from; a link may still carry one.
  const figures = await new FiguresPage(page).open('?rows=group&measures=participations&filter=municipality:392014');
  await expect(page.getByTestId('figures-filters')).toHaveText('市町村：高知市');
  await signOut(page);
});

scenario(browser, 'the day print keeps 名目 readable, headings apart, on A4 portrait', async (page) => {
  await new LoginPage(page).signIn(ACCOUNTS.staff);
  if (!(await recordingScreensPresent(page))) return;
  await page.goto(`/activities/day/${today}`);
  await page.getByTestId('activity-table').waitFor();
  const rows = await page.getByTestId('activity-row').count();
  assert.ok(rows >= 6, `today has the six gatherings (${rows})`);
  await asPrinted(page, async () => {
    await expect(page.getByTestId('activity-print-center')).toContainText('春野');
    // The common head: the day in 和暦 with 西暦, 作成日時 in 和暦.
    await assertPrintHead(page, { title: 'の活動', scope: '春野' });
    await expect(page.getByTestId('activity-day-title')).toBeHidden();
    await expect(page.getByTestId('print-period')).toContainText(/^令和\d+年\d+月\d+日（\d{4}年\d+月\d+日）$/u);
    const cells = await squeezedCells(page, '.activity-table, .totals-table');
    assert.deepEqual(cells.narrow, [], 'no cell narrower than two characters');
    assert.deepEqual(cells.overflowing, [], 'no heading runs into the next');
    // The long 名目 prints on a few lines, not one character per line.
    const title = page.getByTestId('activity-row-link').filter({ hasText: LONG_TITLE }).first();
    const box = await title.evaluate((a) => {
      const r = a.getBoundingClientRect();
      const style = getComputedStyle(a);
      // `normal` line height: about 1.6 em for Japanese fonts.
      const lineHeight = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.6;
      return { lines: r.height / lineHeight, height: r.height };
    });
    // 35 characters: one per line was the fault; a few lines is a readable column.
    assert.ok(box.lines <= 5, `名目 on at most five lines (${box.height} px, ${box.lines.toFixed(1)} lines)`);
    await screenshot(page, '22-day-print');
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
    const pages = pdfPages(pdf);
    // At least eight rows of long titles fit a page with the day's totals (six took two pages).
    assert.ok(pages >= 1 && pages <= Math.ceil(rows / 8), `${rows} activities on ${pages} page(s)`);
  });
});

scenario(browser, 'the calendar print names the centre and keeps its totals with the last week', async (page) => {
  await signedIn(page, ACCOUNTS.staff);
  if (!(await recordingScreensPresent(page))) return;
  // Last month: only the demo's gatherings, whatever the other browser tests record today.
  await page.goto(`/activities?month=${lastMonth}`);
  await page.getByTestId('activity-calendar').waitFor();
  await page.getByTestId('activity-month-totals').waitFor();
  await asPrinted(page, async () => {
    await expect(page.getByTestId('activity-print-center')).toBeVisible();
    await expect(page.getByTestId('activity-print-center')).toContainText('あったかふれあいセンター');
    await assertPrintHead(page, { title: '活動記録　令和', scope: 'あったかふれあいセンター', period: true });
    await assertPageNumbers(page);
    const layout = await page.evaluate(() => {
      const side = document.querySelector('.calendar-side');
      const table = document.querySelector('[data-testid="activity-month-totals"]');
      return {
        sideBreak: getComputedStyle(side).breakInside,
        rowBreak: getComputedStyle(table.querySelector('tbody tr, tfoot tr')).breakInside,
        thead: getComputedStyle(table.querySelector('thead')).display,
      };
    });
    assert.equal(layout.sideBreak, 'avoid', 'the totals move as one piece');
    assert.equal(layout.rowBreak, 'avoid', 'no row split across pages');
    assert.equal(layout.thead, 'table-header-group', 'headings repeat');
    const cells = await squeezedCells(page, '.totals-table');
    assert.deepEqual(cells.narrow, [], 'no cell narrower than two characters');
    await screenshot(page, '23-calendar-print');
    // A busy month rightly takes more than one page; what must hold is that the totals move as
    // one piece with the last week (the break rules above) and that the print is A4 pages at
    // all. Demo months take one to three pages.
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
    const pages = pdfPages(pdf);
    assert.ok(pages >= 1 && pages <= 4, `the month prints on a few A4 pages (${pages})`);
  });
});

scenario(browser, 'the figures print says when in 和暦 and explains in Japanese only', async (page) => {
  await signedIn(page, ACCOUNTS.staff);
  const figures = await new FiguresPage(page).open('?rows=month&measures=participations,unique_persons');
  await asPrinted(page, async () => {
    const generated = page.locator('.result-header dd.print-only');
    await expect(generated).toBeVisible();
    await expect(generated).toContainText(/^令和\d+年\d+月\d+日（\d{4}年\d+月\d+日）\s*\d{1,2}:\d{2}$/u);
    await expect(figures.notes).toContainText('実利用者数は');
    const notes = await figures.notes.innerText();
    assert.doesNotMatch(notes, /unique_persons|participations|[a-z]+_[a-z]+/, notes);
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
    assert.equal(pdfPages(pdf), 1, 'a 年度 by month on one page');
  });
});

/** The common print head: title, scope, 作成日時 in 和暦 with 西暦 (and the period, when `period`). */
async function assertPrintHead(root, { title, scope, period }) {
  // (`toContainText` with anchored patterns: this expect's `toHaveText` takes strings only.)
  const head = root.getByTestId('print-head');
  await expect(head).toBeVisible();
  await expect(head.getByTestId('print-title')).toContainText(title);
  await expect(head.getByTestId('print-scope')).toContainText(scope);
  await expect(head.getByTestId('print-generated')).toContainText(/^令和\d+年\d+月\d+日（\d{4}年\d+月\d+日） \d{2}:\d{2}$/u);
  if (period) {
    await expect(head.getByTestId('print-period')).toContainText(
      /^令和\d+年(度|\d+月)　令和\d+年\d+月\d+日（\d{4}年\d+月\d+日）〜令和\d+年\d+月\d+日（\d{4}年\d+月\d+日）$/u,
    );
  }
}

/** Page numbers 「1 / 3」 from the one @page rule every print shares, A4 portrait. */
async function assertPageNumbers(page) {
  const rules = (await pageRules(page)).filter((r) => /counter\(page\)/.test(r));
  assert.equal(rules.length, 1, `one @page rule numbers every print: ${rules.join(' | ')}`);
  assert.match(rules[0], /size: a4/i);
  assert.doesNotMatch(rules[0], /landscape/);
  assert.match(rules[0], /counter\(page\) " \/ " counter\(pages\);/);
}

scenario(browser, 'the person card prints on one A4 portrait page with the common head and nothing squeezed', async (page) => {
  const staff = await Api.login(ACCOUNTS.staff);
  const person = await staff.registerPerson({ family_name: `印刷${RUN_ID}`, given_kana: 'インサツ' });
  await signedIn(page, ACCOUNTS.staff);
  await page.goto(`/persons/${encodeURIComponent(person.common_id)}`);
  await page.getByTestId('person-card').waitFor();
  await expect(page.getByTestId('print-head')).toBeHidden();
  await asPrinted(page, async () => {
    await assertPrintHead(page, { title: '利用者カード', scope: 'あったかふれあいセンター' });
    await expect(page.getByTestId('person-common-id')).toHaveText(person.common_id);
    await expect(page.getByTestId('person-card-registered')).toHaveText('令和6年4月1日（2024年4月1日）');
    await expect(page.getByTestId('person-details')).toBeHidden();
    await assertPageNumbers(page);
    const cells = await squeezedCells(page, '[data-testid="person-card"]', 'dt, dd');
    assert.ok(cells.count >= 6, `the card's lines are measured (${cells.count})`);
    assert.deepEqual(cells.narrow, [], 'no line narrower than two characters');
    await screenshot(page, '24-person-card-print');
    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
    assert.equal(pdfPages(pdf), 1, 'the card is one page');
    assert.ok(pdfPortrait(pdf), 'portrait');
  });
});

scenario(browser, 'every operations report prints on A4 portrait with the common head, repeated headings and no squeezed column', async (page) => {
  await signOut(page);
  await page.goto(`${HUB_URL}/login`);
  await page.getByTestId('login-username').fill(ACCOUNTS.pref.username);
  await page.getByTestId('login-password').fill(ACCOUNTS.pref.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-home').waitFor();
  await page.goto(`${HUB_URL}/ops/reports`);
  await page.getByTestId('report-form').waitFor();
  const kinds = await page.getByTestId('report-form-kind').locator('option').evaluateAll((o) => o.map((x) => x.value).filter(Boolean));
  assert.ok(kinds.length >= 5, `the contract's reports are offered (${kinds})`);
  for (const kind of kinds) {
    await page.getByTestId('report-form-kind').selectOption(kind);
    await page.getByTestId('report-form-unit').selectOption('fy');
    await page.getByTestId('report-form-fiscal_year').selectOption(String(fiscalYearOf(today)));
    await page.getByTestId('report-show').click();
    const doc = page.locator(`[data-testid="report-document"][data-kind="${kind}"]`);
    await doc.waitFor();
    await asPrinted(page, async () => {
      await expect(page.getByTestId('report-form')).toBeHidden();
      await assertPrintHead(doc, { title: '報告書', scope: '県ハブ', period: true });
      await assertPageNumbers(page);
      const layout = await doc.evaluate((d) =>
        [...d.querySelectorAll('.report-table thead')].map((t) => getComputedStyle(t).display),
      );
      assert.ok(layout.every((display) => display === 'table-header-group'), `${kind}: headings repeat on each page`);
      const cells = await squeezedCells(page, '[data-testid="report-document"]');
      assert.deepEqual(cells.narrow, [], `${kind}: no cell narrower than two characters`);
      const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true });
      const pages = pdfPages(pdf);
      assert.ok(pages >= 1 && pages <= 4, `${kind}: the 年度 on a few A4 pages (${pages})`);
      assert.ok(pdfPortrait(pdf), `${kind}: portrait`);
      if (kind === 'availability') await screenshot(page, '25-report-print');
    });
  }
  await signOut(page);
});
