// The recording screens (活動記録, web/src/pages/activity_*.rs): the month calendar, the
// gathering form and the day page it returns to. A build without them (the navigation offers
// no 活動記録) makes the callers record through the API instead.
import { expect } from './expect.mjs';

/** Whether this build of the SPA has the recording screens (its navigation offers them). */
export async function recordingScreensPresent(page) {
  // ATTAKA_E2E_RECORD_VIA_API=1 takes the API route anyway (to check the fallback itself).
  if (process.env.ATTAKA_E2E_RECORD_VIA_API === '1') return false;
  await page.getByTestId('nav-home').waitFor();
  await page.getByTestId('header-node-role').waitFor();
  return (await page.getByTestId('nav-activities').count()) > 0;
}

export class ActivityCalendarPage {
  constructor(page) {
    this.page = page;
    this.calendar = page.getByTestId('activity-calendar');
    this.newGathering = page.getByTestId('activity-new');
  }

  async open() {
    await this.page.goto('/activities');
    await this.calendar.waitFor();
    await this.page.getByTestId('activity-day-chip').first().waitFor();
    return this;
  }

  day(isoDate) {
    return this.page.getByTestId(`activity-day-${isoDate}`);
  }
}

export class GatheringForm {
  constructor(page) {
    this.page = page;
    this.form = page.getByTestId('activity-form');
    this.search = page.getByTestId('activity-person-search');
    this.results = page.getByTestId('activity-person-search-result');
    this.selectPrevious = page.getByTestId('activity-select-previous');
    this.chosenCount = page.getByTestId('activity-chosen-count');
    this.headcount = page.getByTestId('activity-headcount');
    this.save = page.getByTestId('activity-save');
  }

  async openNew(date) {
    await this.page.goto(`/activities/new?kind=gathering&date=${date}`);
    await this.form.waitFor();
    await this.page.getByTestId('activity-participant-item').first().waitFor();
    return this;
  }

  field(name) {
    return this.page.getByTestId(`activity-form-${name}`);
  }

  participant(commonId) {
    return this.page.getByTestId(`activity-participant-${commonId}`);
  }

  /** Finds someone by common ID or kana and adds them with Enter, as staff do. */
  async add(query, commonId) {
    await this.search.fill(query);
    await this.page.locator(`[data-testid="activity-person-search-result"][data-common-id="${commonId}"]`).waitFor();
    await this.search.press('Enter');
    await expect(this.participant(commonId)).toBeVisible();
  }
}

export class ActivityDayPage {
  constructor(page) {
    this.page = page;
    this.saved = page.getByTestId('activity-saved');
    this.rows = page.getByTestId('activity-row');
  }

  async waitSaved() {
    await this.page.getByTestId('page-activity-day').waitFor();
    await expect(this.saved).toBeVisible();
    return this;
  }
}

/**
 * Records a 集い through the form: title, unregistered headcounts, participants added by
 * searching their common IDs; returns on the day page that confirms the save.
 */
export async function recordGatheringInUi(page, { date, title, participants, unregistered = {} }) {
  const form = await new GatheringForm(page).openNew(date);
  await form.field('function').selectOption('tsudoi');
  await form.field('title').fill(title);
  for (const [group, count] of Object.entries(unregistered)) {
    await form.field(`unregistered.${group}`).fill(String(count));
  }
  for (const commonId of participants) {
    await form.add(commonId, commonId);
  }
  const total = participants.length + Object.values(unregistered).reduce((a, b) => a + b, 0);
  await expect(form.headcount).toContainText(`延べ ${total}人`);
  await form.save.click();
  return new ActivityDayPage(page).waitSaved();
}
