// What staff record for one person: a consultation (相談) with its topics and a referral to the
// 地域包括支援センター, a visit (訪問) whose required purpose is first left empty, correcting the
// consultation on its page, and deleting an activity after its confirmation. Today in Japan, as
// the demo account `staff` of C001, for someone registered for this run.
import assert from 'node:assert/strict';
import { before } from 'node:test';

import { Api, ApiError } from '../lib/api.mjs';
import { ACCOUNTS, RUN_ID, todayJst } from '../lib/env.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import {
  ActivityDayPage,
  ActivityDetailPage,
  IndividualForm,
  activityRow,
  recordingScreensPresent,
} from '../pages/activity-pages.mjs';
import { LoginPage } from '../pages/login-page.mjs';

const browser = useBrowser();
const today = todayJst();
const consultationTitle = `個別相談 ${RUN_ID}`;
const visitTitle = `見守り訪問 ${RUN_ID}`;
let staff;
let person;
/** The consultation recorded by the first scenario (its ID, once saved). */
let consultationId;

before(async () => {
  staff = await Api.login(ACCOUNTS.staff);
  person = await staff.registerPerson({
    family_name: '個別',
    given_name: '花子',
    family_kana: 'コベツ',
    given_kana: 'ハナコ',
    sex: 'F',
  });
});

/** Today's activities at C001 with this title, as the server has them. */
async function recordedToday(title) {
  const list = await staff.get(`/activities?date=${today}`);
  return list.items.filter((a) => a.title === title);
}

/** The ID the day page was opened with after a save (`?saved=<id>`). */
function savedId(page) {
  const id = new URL(page.url()).searchParams.get('saved');
  assert.ok(id, `no ?saved= in ${page.url()}`);
  return id;
}

scenario(browser, 'a consultation is recorded with its topics and a referral to the 地域包括支援センター', async (page, t) => {
  await new LoginPage(page).signIn(ACCOUNTS.staff);
  if (!(await recordingScreensPresent(page))) {
    t.skip('this build has no recording screens (web/src/pages/activity_*.rs)');
    return;
  }
  // From the day page, as staff start: 「＋ 訪問・相談・つなぎを記録」.
  await page.goto(`/activities/day/${today}`);
  await page.getByTestId('page-activity-day').waitFor();
  await page.getByTestId('activity-new-individual').click();
  const form = await new IndividualForm(page).ready();
  await form.functionChoice('soudan').check();
  await form.choose(person.common_id);
  await form.detailOption(person.common_id, 'topics', 'care').check();
  await form.detailOption(person.common_id, 'topics', 'health').check();
  await form.detailOption(person.common_id, 'referral_destination', 'houkatsu').check();
  await form.field('title').fill(consultationTitle);
  await form.field('start_time').fill('10:00');
  await form.field('end_time').fill('10:30');
  await form.save.click();

  const day = await new ActivityDayPage(page).waitSaved();
  consultationId = savedId(page);
  const row = activityRow(page, consultationId);
  await expect(row).toBeVisible();
  await expect(row).toContainText('相談');
  await expect(row.getByTestId('activity-row-link')).toHaveText(consultationTitle);
  await expect(row.getByTestId('activity-row-participants')).toHaveText('1');
  // One person's record says whose it is, so a day's consultations can be told apart.
  await expect(row.getByTestId('activity-row-person')).toHaveText('（個別\u3000花子）');
  assert.equal(await day.rows.filter({ hasText: consultationTitle }).count(), 1);

  await row.getByTestId('activity-row-link').click();
  const detail = await new ActivityDetailPage(page).ready();
  await expect(detail.field('function')).toHaveText('相談');
  await expect(detail.field('time')).toHaveText('10:00〜10:30');
  const who = detail.participant(person.common_id);
  await expect(who).toContainText('健康・医療、介護');
  await expect(who).toContainText('→ 地域包括支援センター');

  // What the server keeps, not only what the page says.
  const saved = await staff.get(`/activities/${consultationId}`);
  assert.equal(saved.function, 'soudan');
  assert.deepEqual(
    saved.participants.map((p) => [p.common_id, [...p.topics].sort(), p.referral_destination]),
    [[person.common_id, ['care', 'health'], 'houkatsu']],
  );
});

scenario(browser, 'a visit without its purpose names the missing field, sends nothing and records nothing until it is chosen', async (page, t) => {
  if (!(await recordingScreensPresent(page))) {
    t.skip('this build has no recording screens (web/src/pages/activity_*.rs)');
    return;
  }
  const form = await new IndividualForm(page).openNew(today);
  await form.functionChoice('houmon').check();
  await form.choose(person.common_id);
  await expect(form.detailOption(person.common_id, 'visit_purpose', 'watching')).toBeVisible();
  await form.field('title').fill(visitTitle);
  // The form itself knows the purpose is required (the rule shared with the server): nothing is sent.
  const posts = [];
  const onRequest = (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/activities') posts.push(r.url());
  };
  page.on('request', onRequest);
  await form.save.click();

  const purposeError = form.detailError(person.common_id, 'visit_purpose');
  await expect(purposeError).toContainText('入力が必要です');
  page.off('request', onRequest);
  assert.deepEqual(posts, [], 'the form sent a visit without its purpose');
  await expect(form.errors).toContainText('訪問の目的');
  await expect(page.getByTestId(`activity-participant-${person.common_id}-visit_purpose`)).toHaveAttribute(
    'aria-invalid',
    'true',
  );
  assert.equal(await page.getByTestId('page-activity-new').isVisible(), true, 'left the form');
  assert.deepEqual(await recordedToday(visitTitle), [], 'the visit was recorded without its purpose');

  await form.detailOption(person.common_id, 'visit_purpose', 'watching').check();
  await form.save.click();
  await new ActivityDayPage(page).waitSaved();
  const id = savedId(page);
  const row = activityRow(page, id);
  await expect(row).toContainText('訪問');
  await expect(row.getByTestId('activity-row-link')).toHaveText(visitTitle);

  const recorded = await recordedToday(visitTitle);
  assert.deepEqual(
    recorded.map((a) => [a.id, a.function, a.participants]),
    [[id, 'houmon', 1]],
  );
  const saved = await staff.get(`/activities/${id}`);
  assert.deepEqual(
    saved.participants.map((p) => [p.common_id, p.visit_purpose]),
    [[person.common_id, 'watching']],
  );
});

scenario(browser, 'the consultation is corrected on its page: another topic and a later time', async (page, t) => {
  if (!(await recordingScreensPresent(page))) {
    t.skip('this build has no recording screens (web/src/pages/activity_*.rs)');
    return;
  }
  assert.ok(consultationId, 'the consultation of the first scenario was not recorded');
  const detail = await new ActivityDetailPage(page).open(consultationId);
  await detail.edit.click();
  await page.getByTestId('page-activity-edit').waitFor();
  const form = await new IndividualForm(page).ready();
  // The form opens with what was recorded.
  const care = form.detailOption(person.common_id, 'topics', 'care');
  const housing = form.detailOption(person.common_id, 'topics', 'housing');
  await care.waitFor();
  assert.equal(await care.isChecked(), true, '介護 is not ticked in the edit form');
  assert.equal(await form.detailOption(person.common_id, 'referral_destination', 'houkatsu').isChecked(), true);
  assert.equal(await form.field('start_time').inputValue(), '10:00');

  await care.uncheck();
  await housing.check();
  await form.field('start_time').fill('14:00');
  await form.field('end_time').fill('14:45');
  await expect(form.save).toHaveText('変更を保存');
  await form.save.click();

  await page.waitForURL(new RegExp(`/activities/${consultationId}\\?saved=1$`));
  await detail.ready();
  await expect(detail.saved).toContainText('変更を保存しました');
  await expect(detail.field('time')).toHaveText('14:00〜14:45');
  const who = detail.participant(person.common_id);
  await expect(who).toContainText('健康・医療、住まい');
  await expect(who).toContainText('→ 地域包括支援センター');
  assert.doesNotMatch(await who.innerText(), /介護/);
  await expect(detail.field('recorded')).toContainText('変更');

  const saved = await staff.get(`/activities/${consultationId}`);
  assert.deepEqual([saved.start_time, saved.end_time], ['14:00', '14:45']);
  assert.deepEqual([...saved.participants[0].topics].sort(), ['health', 'housing']);
});

scenario(browser, 'an activity is deleted only after its confirmation, and leaves its day', async (page, t) => {
  if (!(await recordingScreensPresent(page))) {
    t.skip('this build has no recording screens (web/src/pages/activity_*.rs)');
    return;
  }
  // One of its own, so nothing else this file checks goes with it.
  const title = `削除する相談 ${RUN_ID}`;
  const { id } = await staff.post('/activities', {
    id: crypto.randomUUID(),
    date: today,
    function: 'soudan',
    title,
    start_time: '15:00',
    end_time: '15:20',
    staff_count: 1,
    volunteer_count: 0,
    unregistered: {},
    participants: [{ common_id: person.common_id, topics: ['isolation'] }],
  });

  await page.goto(`/activities/day/${today}`);
  const day = new ActivityDayPage(page);
  await expect(activityRow(page, id)).toBeVisible();
  const rowsBefore = await day.rows.count();
  await activityRow(page, id).getByTestId('activity-row-link').click();
  const detail = await new ActivityDetailPage(page).ready();
  await expect(detail.field('title')).toHaveText(title);

  // やめる: the confirmation goes, the activity stays.
  assert.equal(await detail.confirm.isVisible(), false, 'the confirmation shows before 削除する');
  await detail.delete.click();
  await expect(detail.confirm).toBeVisible();
  await expect(detail.confirm).toContainText('延べ1人分');
  await expect(detail.confirmCancel).toBeFocused();
  await detail.confirmCancel.click();
  await expect(detail.confirm).toBeHidden();
  await expect(detail.field('title')).toHaveText(title);
  assert.equal((await staff.get(`/activities/${id}`)).id, id, 'cancelling deleted it');

  // 削除する, confirmed: back on its day, without it.
  await detail.delete.click();
  await expect(detail.confirm).toBeVisible();
  await detail.confirmDelete.click();
  await page.waitForURL(new RegExp(`/activities/day/${today}\\?deleted=1$`));
  await expect(day.saved).toContainText('活動を削除しました');
  await expect(day.rows).toHaveCount(rowsBefore - 1);
  await expect(activityRow(page, id)).toHaveCount(0);
  assert.equal(await page.getByText(title).count(), 0, 'its title is still on the day page');
  await assert.rejects(staff.get(`/activities/${id}`), (e) => e instanceof ApiError && e.status === 404);
  assert.deepEqual(await recordedToday(title), []);
});
