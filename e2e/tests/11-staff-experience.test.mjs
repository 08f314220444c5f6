// Issue 14 as staff would meet it: nothing typed is lost (drafts across navigation, reload and a
// session that expired while saving), one round of errors that clear as fields are fixed, an
// impossible date that leaves no old date behind, the office shorthands for dates and common
// IDs, no control under the sticky save bar at 1280×768 and at Edge's 1280×650, the loading
// screen, an operator's deep link that says why, and timestamps in 和暦.
import assert from 'node:assert/strict';

import { ACCOUNTS, RUN_ID, todayJst } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { recordingScreensPresent as hasRecordingScreens } from '../pages/activity-pages.mjs';
import { expect } from '../pages/expect.mjs';
import { LoginPage, Shell } from '../pages/login-page.mjs';
import { PersonFormPage, PersonListPage } from '../pages/person-pages.mjs';

const browser = useBrowser();

/** Every dialog the page opens (type), answered by `dialogs.answer` ('accept' or 'dismiss'). */
const dialogs = { seen: [], answer: 'accept', installed: false };
function watchDialogs(page) {
  if (dialogs.installed) return;
  dialogs.installed = true;
  if (process.env.E2E_DEBUG) page.on('console', (m) => console.log('console:', m.text()));
  page.on('dialog', (d) => {
    dialogs.seen.push(d.type());
    (dialogs.answer === 'accept' ? d.accept() : d.dismiss()).catch(() => {});
  });
}

/** Every control a user can Tab to inside `selector`, as CSS paths the test can focus again. */
async function focusableControls(page, selector) {
  return page.evaluate((sel) => {
    const root = document.querySelector(sel);
    const items = [...root.querySelectorAll('input, select, textarea, button, a[href]')].filter(
      (el) => !el.disabled && el.tabIndex >= 0 && el.offsetParent !== null && el.type !== 'hidden',
    );
    items.forEach((el, i) => el.setAttribute('data-e2e-focus', String(i)));
    return items.map((el, i) => ({ index: i, label: el.id || el.getAttribute('data-testid') || el.textContent.trim().slice(0, 20) }));
  }, selector);
}

/** Focuses each control as Tab would and checks nothing covers its centre (the save bar). */
async function assertNothingCovers(page, selector, viewport) {
  await page.setViewportSize(viewport);
  await page.evaluate(() => window.scrollTo(0, 0));
  const controls = await focusableControls(page, selector);
  assert.ok(controls.length > 5, `the form ${selector} has controls`);
  const hidden = [];
  for (const c of controls) {
    const ok = await page.evaluate((i) => {
      const el = document.querySelector(`[data-e2e-focus="${i}"]`);
      el.focus();
      const r = el.getBoundingClientRect();
      const x = r.left + Math.min(r.width / 2, 8);
      const y = r.top + r.height / 2;
      if (y < 0 || y > window.innerHeight) return false;
      const top = document.elementFromPoint(x, y);
      return top === el || el.contains(top) || (el.labels && [...el.labels].some((l) => l.contains(top)));
    }, c.index);
    if (!ok) hidden.push(c.label);
  }
  assert.deepEqual(hidden, [], `controls covered when focused at ${viewport.width}×${viewport.height}`);
}

scenario(browser, 'the first load shows a Japanese loading screen until the app has started', async (page) => {
  watchDialogs(page);
  // Hold the app file back a moment, as a slow line does (its name carries a content hash).
  await page.route('**/attaka-web_bg*.wasm', async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await page.goto('/login');
  await expect(page.getByTestId('boot-loading')).toBeVisible();
  await expect(page.getByTestId('boot-loading')).toContainText('読み込んでいます');
  await page.getByTestId('login-username').waitFor();
  assert.equal(await page.getByTestId('boot-loading').count(), 0, 'the loading screen is gone once the app runs');
  await page.unroute('**/attaka-web_bg*.wasm');
});

scenario(browser, 'an operator following a link to the figures is told why home is shown instead', async (page) => {
  const login = await new LoginPage(page).open();
  await login.fill(ACCOUNTS.operator);
  await login.submit.click();
  await page.getByTestId('page-home').waitFor();
  await page.goto('/figures');
  await page.getByTestId('page-home').waitFor();
  const denied = page.getByTestId('home-denied');
  await expect(denied).toContainText('集計');
  await expect(denied).toContainText('運用保守担当');
  await new Shell(page).signOut();
});

scenario(browser, 'the first submit of an empty registration lists every problem, names and kana included', async (page) => {
  await new LoginPage(page).signIn(ACCOUNTS.staff);
  const form = await new PersonFormPage(page).openNew();
  await form.save.click();
  await expect(form.errors).toBeVisible();
  for (const label of ['姓', '名', 'セイ（フリガナ）', 'メイ（フリガナ）', '生年月日', '性別', '対象区分', '要介護度', '世帯']) {
    await expect(form.errors).toContainText(label);
  }
  // A summary line links to its field.
  const items = form.errors.getByTestId('person-form-errors-item');
  await items.filter({ hasText: 'セイ' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'person-family_kana');
  // Fixing a field clears its error at once; the count follows.
  const before = await items.count();
  assert.ok(before >= 9, `every problem in the first round (${before})`);
  await form.field('family_name').fill('暁');
  await expect(page.getByTestId('field-error-family_name')).toHaveCount(0);
  await expect(items).toHaveCount(before - 1);
});

scenario(browser, 'the first submit of a gathering lists every problem beside its field and above the form, and each clears when fixed', async (page) => {
  if (!(await hasRecordingScreens(page))) return;
  await page.goto(`/activities/new?kind=gathering&date=${todayJst()}`);
  await page.getByTestId('activity-form').waitFor();
  const field = (name) => page.getByTestId(`activity-form-${name}`);
  // Nothing may be sent while the browser's own rules (shared with the server) find fault.
  const sent = [];
  const watch = (r) => {
    if (r.method() !== 'GET' && /\/activities/.test(new URL(r.url()).pathname)) sent.push(r.url());
  };
  page.on('request', watch);
  try {
    await field('start_time').fill('11:00');
    await field('end_time').fill('10:00');
    await field('staff_count').fill('ア');
    await field('volunteer_count').fill('1200');
    await field('unregistered.child').fill('1000');
    await page.getByTestId('activity-save').click();
    const summary = page.getByTestId('activity-form-errors');
    await expect(summary).toBeVisible();
    const items = summary.getByTestId('activity-form-errors-item');
    await expect(items).toHaveCount(4);
    for (const label of ['終了時刻', '職員数', 'ボランティア数', '登録外の人数（子ども）']) {
      await expect(summary).toContainText(label);
    }
    // Each beside its field: the shared rules' messages (the server's words) and the form's own.
    await expect(page.getByTestId('field-error-end_time')).toContainText('開始時刻より後');
    await expect(page.getByTestId('field-error-volunteer_count')).toContainText('999以下');
    await expect(page.getByTestId('field-error-unregistered.child')).toContainText('999以下');
    await expect(page.getByTestId('field-error-staff_count')).toContainText('数字');
    // A summary line takes the cursor to its field.
    await items.filter({ hasText: '子ども' }).click();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'activity-form-unregistered.child');
    // A fixed field loses its error at once, and the count follows.
    await field('unregistered.child').fill('3');
    await expect(page.getByTestId('field-error-unregistered.child')).toHaveCount(0);
    await expect(items).toHaveCount(3);
    await field('end_time').fill('12:00');
    await expect(page.getByTestId('field-error-end_time')).toHaveCount(0);
    await field('staff_count').fill('2');
    await field('volunteer_count').fill('12');
    await expect(summary).toHaveCount(0);
    assert.deepEqual(sent, [], 'nothing was sent while the form found fault');
  } finally {
    page.off('request', watch);
  }
  await page.getByTestId('activity-cancel').click();
});

scenario(browser, 'an impossible date typed after a good one leaves no date behind', async (page) => {
  const form = await new PersonFormPage(page).openNew();
  await form.field('birth_text').fill('S23.5.1');
  await expect(form.field('birth_preview')).toContainText('昭和23年5月1日');
  await form.field('birth_text').fill('S23.2.30');
  await form.field('birth_text').blur();
  await expect(page.getByTestId('field-error-birth_date')).toContainText('存在しない日付');
  await expect(form.field('birth_preview')).toHaveText('');
  await expect(form.field('birth_year')).toHaveValue('');
  // The office shorthands read as the same day, with the era's limits.
  for (const typed of ['昭23.5.1', 'S230501']) {
    await form.field('birth_text').fill(typed);
    await expect(form.field('birth_preview')).toContainText('昭和23年5月1日');
  }
  await form.field('birth_text').fill('H31.5.1');
  await expect(form.field('birth_preview')).toContainText('令和元年5月1日');
  await form.field('birth_text').fill('H32.1.1');
  await form.field('birth_text').blur();
  await expect(page.getByTestId('field-error-birth_date')).toContainText('平成の期間外');
  await expect(form.field('birth_preview')).toHaveText('');
});

scenario(browser, 'a half-filled registration survives a menu click, a reload and a sign-in again, and logout clears it', async (page) => {
  const form = await new PersonFormPage(page).openNew();
  await form.field('family_name').fill('下書');
  await form.field('given_name').fill(`残子${RUN_ID}`);
  await form.field('family_kana').fill('したがき');
  // A menu click asks first; staying keeps the form.
  dialogs.seen = [];
  dialogs.answer = 'dismiss';
  await page.getByTestId('nav-persons').click();
  await expect(page.getByTestId('page-person-new')).toBeVisible();
  assert.deepEqual(dialogs.seen, ['confirm']);
  // Leaving anyway keeps the draft, which comes back on the way in.
  dialogs.answer = 'accept';
  await page.getByTestId('nav-persons').click();
  await page.getByTestId('page-persons').waitFor();
  await new PersonFormPage(page).openNew();
  await expect(page.getByTestId('draft-restored')).toBeVisible();
  await expect(form.field('given_name')).toHaveValue(`残子${RUN_ID}`);
  // A reload asks (beforeunload) and keeps it too.
  dialogs.seen = [];
  await page.reload();
  assert.deepEqual(dialogs.seen, ['beforeunload']);
  await form.field('family_name').waitFor();
  await expect(form.field('family_kana')).toHaveValue('したがき');
  // The session ends on the server; signing in again in this tab brings the draft back.
  await page.evaluate(() => sessionStorage.removeItem('attaka.session'));
  await page.goto('/login');
  await new LoginPage(page).fill(ACCOUNTS.staff);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('page-home').waitFor();
  await new PersonFormPage(page).openNew();
  await expect(form.field('given_name')).toHaveValue(`残子${RUN_ID}`);
  // Signing out (confirmed) removes it: personal data stays nowhere.
  await page.getByTestId('logout-button').click();
  await page.getByTestId('page-login').waitFor();
  const left = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('attaka.draft.')));
  assert.deepEqual(left, []);
  await new LoginPage(page).signIn(ACCOUNTS.staff);
  await new PersonFormPage(page).openNew();
  await expect(form.field('given_name')).toHaveValue('');
  await expect(page.getByTestId('draft-restored')).toHaveCount(0);
});

scenario(browser, 'a gathering saved after the session ended asks for the password over the form and is recorded', async (page) => {
  if (!(await hasRecordingScreens(page))) return;
  const title = `期限切れ後の記録${RUN_ID}`;
  await page.goto(`/activities/new?kind=gathering&date=${todayJst()}`);
  await page.getByTestId('activity-form').waitFor();
  await page.getByTestId('activity-form-title').fill(title);
  await page.getByTestId('activity-form-unregistered.child').fill('2');
  // The server ends the session (as an expiry or a revocation does).
  await page.evaluate(async () => {
    const { tokens } = JSON.parse(sessionStorage.getItem('attaka.session'));
    await fetch('/api/v1/auth/logout', {
      method: 'POST',
      headers: { Authorization: `Bearer ${tokens.access_token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: tokens.refresh_token }),
    });
  });
  const dialog = page.getByTestId('reauth-dialog');
  // (The header's status poll may have met the ended session first; the dialog is the same.)
  // It may also come up between this check and the click, taking the click: then it is there.
  if (!(await dialog.isVisible())) {
    await page.getByTestId('activity-save').click({ timeout: 3_000 }).catch(() => {});
  }
  await expect(dialog).toBeVisible();
  await expect(page.getByTestId('reauth-username')).toHaveText(ACCOUNTS.staff.username);
  await expect(page.getByTestId('activity-form-title')).toHaveValue(title);
  await page.getByTestId('reauth-password').fill(ACCOUNTS.staff.password);
  await page.getByTestId('reauth-submit').click();
  await expect(dialog).toHaveCount(0);
  const day = page.getByTestId('page-activity-day');
  // Only when the dialog came before the click above was the save not under way yet.
  if (!(await day.waitFor({ timeout: 5000 }).then(() => true, () => false))) {
    await page.getByTestId('activity-save').click();
  }
  await day.waitFor();
  await expect(page.getByTestId('activity-saved')).toBeVisible();
  await expect(page.getByTestId('activity-row').filter({ hasText: title })).toHaveCount(1);
});

scenario(browser, 'common IDs are found without hyphens and in full-width digits', async (page) => {
  const list = await new PersonListPage(page).open();
  const id = (await list.row(0).id.innerText()).trim();
  const serial = id.split('-')[1];
  const fullWidth = [...serial].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
  for (const typed of [serial, `${id.split('-')[0]}${serial}`, fullWidth]) {
    await list.searchFor(typed);
    await expect(list.rows.filter({ hasText: id })).toHaveCount(1);
  }
});

for (const viewport of [{ width: 1280, height: 768 }, { width: 1280, height: 650 }]) {
  scenario(browser, `no control hides under the save bar when focused at ${viewport.width}×${viewport.height}`, async (page) => {
    await new PersonFormPage(page).openNew();
    await assertNothingCovers(page, '[data-testid="person-form"]', viewport);
    if (await hasRecordingScreens(page)) {
      for (const kind of ['gathering', 'individual']) {
        await page.goto(`/activities/new?kind=${kind}&date=${todayJst()}`);
        await page.getByTestId('activity-form').waitFor();
        await page.waitForTimeout(300);
        await assertNothingCovers(page, '[data-testid="activity-form"]', viewport);
        // With the error summary above the form and messages under the fields, too.
        await page.getByTestId('activity-form-start_time').fill('11:00');
        await page.getByTestId('activity-form-end_time').fill('10:00');
        await page.getByTestId('activity-save').click();
        await page.getByTestId('activity-form-errors').waitFor();
        await assertNothingCovers(page, '[data-testid="activity-form"]', viewport);
        await page.getByTestId('activity-form-end_time').fill('');
        await page.getByTestId('activity-form-start_time').fill('');
        // Typed into 子ども is seen, not written under the bar.
        if (kind === 'gathering') {
          const child = page.getByTestId('activity-form-unregistered.child');
          await child.focus();
          await child.fill('3');
          const clear = await child.evaluate((el) => {
            const r = el.getBoundingClientRect();
            return document.elementFromPoint(r.left + 5, r.top + r.height / 2) === el;
          });
          assert.ok(clear, '子ども is in sight while typing');
          await page.getByTestId('activity-cancel').click();
        }
      }
    }
    await page.setViewportSize({ width: 1280, height: 768 });
  });
}

scenario(browser, 'a recorded activity shows when it was recorded in 和暦 with 西暦', async (page) => {
  if (!(await hasRecordingScreens(page))) return;
  await page.goto(`/activities/day/${todayJst()}`);
  await page.getByTestId('page-activity-day').waitFor();
  await page.getByTestId('activity-row').first().getByRole('link').first().click();
  await page.getByTestId('page-activity-detail').waitFor();
  await expect(page.getByTestId('page-activity-detail')).toContainText(/令和\d+年\d+月\d+日（\d{4}年\d+月\d+日） \d{2}:\d{2}/);
});

scenario(browser, 'a long figures print repeats its headings, totals once at the end, and squeezes no column', async (page) => {
  // Months × categories: a table longer than one A4 page.
  await page.goto('/figures?rows=month,category&measures=participations,unique_persons,activities');
  await page.getByTestId('figures-table').waitFor();
  await page.emulateMedia({ media: 'print' });
  try {
    await page.setViewportSize({ width: 794, height: 1123 });
    const layout = await page.evaluate(() => {
      const table = document.querySelector('[data-testid="figures-table"] table') ?? document.querySelector('[data-testid="figures-table"]');
      const cells = [...table.querySelectorAll('th, td')].filter((c) => c.textContent.trim().length > 1);
      const narrow = cells.filter((c) => {
        const fontSize = parseFloat(getComputedStyle(c).fontSize);
        return c.getBoundingClientRect().width < fontSize * 2.2;
      });
      const thead = table.querySelector('thead');
      const tfoot = table.querySelector('tfoot');
      return {
        narrow: narrow.map((c) => c.textContent.trim()).slice(0, 5),
        thead: thead && getComputedStyle(thead).display,
        tfoot: tfoot && getComputedStyle(tfoot).display,
      };
    });
    assert.deepEqual(layout.narrow, [], 'no cell narrower than two characters');
    assert.equal(layout.thead, 'table-header-group', 'headings repeat on each page');
    if (layout.tfoot) assert.equal(layout.tfoot, 'table-row-group', 'the grand total prints once');
    const pdf = (await page.pdf({ format: 'A4', preferCSSPageSize: true })).toString('latin1');
    const pages = pdf.match(/\/Type\s*\/Page(?!s)/g) ?? [];
    assert.ok(pages.length >= 1 && pages.length <= 6, `a year by month and category prints on a few pages (${pages.length})`);
  } finally {
    await page.emulateMedia({ media: 'screen' });
    await page.setViewportSize({ width: 1280, height: 768 });
  }
});
