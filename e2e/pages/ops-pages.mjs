// The operations log's screens on the hub (運用記録: 問い合わせ, 障害, 計画停止) and the reports
// page, and signing in there (the hub serves the same app as the centres).
import { ACCOUNTS, HUB_URL } from '../lib/env.mjs';
import { expect } from './expect.mjs';

/** A `datetime-local` value for `ms` (epoch milliseconds) in Japan time. */
export function jstInput(ms) {
  return new Date(ms + 9 * 3600 * 1000).toISOString().slice(0, 16);
}

/** Signs in on the hub as `account` (the operator by default) and waits for the home page. */
export async function signInOnHub(page, account = ACCOUNTS.operator) {
  await page.goto(`${HUB_URL}/login`);
  await page.getByTestId('login-username').fill(account.username);
  await page.getByTestId('login-password').fill(account.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-home').waitFor();
  await expect(page.getByTestId('header-node-role')).toHaveText('県ハブ');
}

export async function signOut(page) {
  await page.getByTestId('logout-button').click();
  await page.getByTestId('login-username').waitFor();
}

/** Presses Enter on the element with `testid` (the keyboard's way to press a button). */
export async function pressEnterOn(page, testid) {
  await page.getByTestId(testid).focus();
  await page.keyboard.press('Enter');
}

export class InquiryForm {
  constructor(page) {
    this.page = page;
    this.form = page.getByTestId('inquiry-form');
    this.error = page.getByTestId('inquiry-form-error');
  }

  field(name) {
    return this.page.getByTestId(`inquiry-form-${name}`);
  }

  async fill({ sourceKind, sourceCode, channel, category, summary }) {
    await this.field('source_kind').selectOption(sourceKind);
    if (sourceCode) await this.field('source_code').selectOption(sourceCode);
    await this.field('channel').selectOption(channel);
    await this.field('category').selectOption(category);
    await this.field('summary').fill(summary);
  }

  async submit() {
    await pressEnterOn(this.page, 'inquiry-submit');
  }
}

export class ReportsPage {
  constructor(page) {
    this.page = page;
    this.kind = page.getByTestId('report-form-kind');
    this.unit = page.getByTestId('report-form-unit');
    this.fiscalYear = page.getByTestId('report-form-fiscal_year');
    this.month = page.getByTestId('report-form-month');
    this.show = page.getByTestId('report-show');
    this.csv = page.getByTestId('report-csv');
    this.document = page.getByTestId('report-document');
    this.title = this.document.getByTestId('print-title');
  }

  async downloadCsv() {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.csv.click()]);
    const stream = await download.createReadStream();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks), filename: download.suggestedFilename() };
  }
}
