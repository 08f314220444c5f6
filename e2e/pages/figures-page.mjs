// 集計 (figures) and 概況 (overview).
import { expect } from './expect.mjs';

/** `3,877` → 3877; `＊` (suppressed) → null. */
export function parseCount(text) {
  const t = text.trim();
  if (t === '＊') return null;
  return Number(t.replace(/,/g, ''));
}

export class FiguresPage {
  constructor(page) {
    this.page = page;
    this.result = page.getByTestId('figures-result');
    this.table = page.getByTestId('figures-table');
    this.rows = this.table.getByTestId('stats-row');
    this.totalRow = this.table.getByTestId('stats-total-row');
    this.chart = page.getByTestId('figures-chart');
    this.controls = page.getByTestId('figures-controls');
    this.periodLabel = page.getByTestId('figures-period-label');
    this.notes = page.getByTestId('figures-notes');
    this.suppressionNote = page.getByTestId('figures-suppression-note');
    this.encoding = page.getByTestId('figures-csv-encoding');
    this.download = page.getByTestId('figures-csv-download');
    this.downloadExcel = page.getByTestId('figures-xlsx-download');
    this.csvStatus = page.getByTestId('figures-csv-status');
    this.print = page.getByTestId('figures-print');
  }

  /** Opens `/figures` (optionally with a query string) and waits for its table. */
  async open(query = '') {
    await this.page.goto(`/figures${query}`);
    await this.page.getByTestId('page-figures').waitFor();
    await this.settled();
    return this;
  }

  /** Waits until the table shown answers the current choices. */
  async settled() {
    await this.table.waitFor();
    await expect(this.result).toHaveAttribute('aria-busy', 'false');
  }

  async total(measure) {
    return parseCount(await this.totalRow.getByTestId(`stats-total-${measure}`).innerText());
  }

  /** The row whose first column reads `label`, as `{measure: value}`. */
  async rowValues(label, measures) {
    const row = this.rows.filter({ has: this.page.locator('th', { hasText: label }) });
    const out = {};
    for (const m of measures) {
      out[m] = parseCount(await row.getByTestId(`stats-cell-${m}`).innerText());
    }
    return out;
  }

  async toggleRow(dimension) {
    await this.page.getByTestId(`figures-row-${dimension}`).click();
    await this.settled();
  }

  async toggleMeasure(measure) {
    await this.page.getByTestId(`figures-measure-${measure}`).click();
    await this.settled();
  }

  /** Clicks the Excel download button and returns the file's bytes and name. */
  async downloadXlsx() {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.downloadExcel.click()]);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks), filename: download.suggestedFilename() };
  }

  /** Clicks the download button and returns the file's bytes and name. */
  async downloadCsv(encoding) {
    await this.encoding.selectOption(encoding);
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.download.click()]);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks), filename: download.suggestedFilename() };
  }
}

export class OverviewPage {
  constructor(page) {
    this.page = page;
    this.groups = page.getByTestId('overview-groups');
    this.months = page.getByTestId('overview-months');
    this.municipalities = page.getByTestId('overview-municipalities');
    this.centers = page.getByTestId('overview-centers');
    this.scope = page.getByTestId('overview-scope');
  }

  async open() {
    await this.page.goto('/overview');
    await this.page.getByTestId('page-overview').waitFor();
    await this.settled();
    return this;
  }

  async settled() {
    for (const section of await this.page.locator('.overview-section').all()) {
      await expect(section).toHaveAttribute('aria-busy', 'false');
    }
    await this.groups.getByTestId('overview-groups-table').waitFor();
  }

  async kpi(measure) {
    return parseCount(await this.page.getByTestId(`overview-kpi-${measure}-value`).innerText());
  }
}
