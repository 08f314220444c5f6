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

/**
 * One person's visit, consultation or referral (`?kind=individual`): the function as radio
 * buttons, the person found by search, then the detail that function asks for.
 */
export class IndividualForm {
  constructor(page) {
    this.page = page;
    this.form = page.getByTestId('activity-form');
    this.search = page.getByTestId('activity-person-search');
    this.errors = page.getByTestId('activity-form-errors');
    this.save = page.getByTestId('activity-save');
  }

  /** Opens the empty form for `date` (the function left at the form's default). */
  async openNew(date) {
    await this.page.goto(`/activities/new?kind=individual&date=${date}`);
    return this.ready();
  }

  /** Waits for the form to be usable (also after following a link to it). */
  async ready() {
    await this.form.waitFor();
    await this.field('function').waitFor();
    return this;
  }

  field(name) {
    return this.page.getByTestId(`activity-form-${name}`);
  }

  /** The radio button of a function (`soudan`, `houmon`, …). */
  functionChoice(code) {
    return this.page.getByTestId(`activity-form-function-${code}`);
  }

  /** The chosen person's line (their name with 「別の方にする」). */
  chosen(commonId) {
    return this.page.getByTestId(`activity-participant-${commonId}`);
  }

  /** An option of the person's detail: `detail` is `visit_purpose`, `topics` or `referral_destination`. */
  detailOption(commonId, detail, code) {
    return this.page.getByTestId(`activity-participant-${commonId}-${detail}-${code}`);
  }

  /** The message under one of the person's detail fields. */
  detailError(commonId, detail) {
    return this.page.getByTestId(`field-error-participant-${commonId}-${detail}`);
  }

  /** Finds the person by common ID and picks them with Enter, as staff do. */
  async choose(commonId) {
    await this.search.fill(commonId);
    await this.page.locator(`[data-testid="activity-person-search-result"][data-common-id="${commonId}"]`).waitFor();
    await this.search.press('Enter');
    await expect(this.chosen(commonId)).toBeVisible();
  }
}

/** One activity's page: its details, everyone who took part, editing and deleting. */
export class ActivityDetailPage {
  constructor(page) {
    this.page = page;
    this.heading = page.getByTestId('activity-detail-heading');
    this.saved = page.getByTestId('activity-saved');
    this.edit = page.getByTestId('activity-edit');
    this.delete = page.getByTestId('activity-delete');
    this.confirm = page.getByTestId('activity-delete-confirm');
    this.confirmCancel = page.getByTestId('activity-delete-cancel');
    this.confirmDelete = page.getByTestId('activity-delete-confirm-button');
  }

  async open(id) {
    await this.page.goto(`/activities/${id}`);
    return this.ready();
  }

  async ready() {
    await this.page.getByTestId('page-activity-detail').waitFor();
    await this.heading.waitFor();
    return this;
  }

  /** A value of the details list: `date`, `function`, `title`, `time`, `participants`, … */
  field(key) {
    return this.page.getByTestId(`activity-detail-${key}`);
  }

  /** The row of a person who took part (its last cell says what the visit or consultation was). */
  participant(commonId) {
    return this.page.locator(`[data-testid="activity-participant-row"][data-common-id="${commonId}"]`);
  }
}

/** The row of one activity on its day page. */
export function activityRow(page, id) {
  return page.locator(`[data-testid="activity-row"][data-activity-id="${id}"]`);
}
