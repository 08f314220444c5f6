// The people registry screens: list and search, the registration form, a person's page.
import { expect } from './expect.mjs';

export class PersonListPage {
  constructor(page) {
    this.page = page;
    this.search = page.getByTestId('person-search');
    this.count = page.getByTestId('person-result-count');
    this.rows = page.getByTestId('person-row');
    this.empty = page.getByTestId('person-empty');
    this.error = page.getByTestId('person-list-error');
    this.newButton = page.getByTestId('person-new');
  }

  async open() {
    await this.page.goto('/persons');
    await this.page.getByTestId('page-persons').waitFor();
    await this.rows.first().or(this.empty).or(this.error).waitFor();
    return this;
  }

  /** Types into the search box as a user would and waits for the answer to say so. */
  async searchFor(text) {
    await this.search.fill('');
    await this.search.pressSequentially(text, { delay: 20 });
    await expect(this.count).toContainText(`「${text}」`);
  }

  row(index = 0) {
    const row = this.rows.nth(index);
    return {
      row,
      id: row.getByTestId('person-row-id'),
      name: row.getByTestId('person-row-name'),
      kana: row.getByTestId('person-row-kana'),
      link: row.getByTestId('person-row-link'),
    };
  }
}

export class PersonFormPage {
  constructor(page) {
    this.page = page;
    this.save = page.getByTestId('person-save');
    this.errors = page.getByTestId('person-form-errors');
  }

  field(name) {
    return this.page.getByTestId(`person-form-${name}`);
  }

  async openNew() {
    await this.page.goto('/persons/new');
    await this.page.getByTestId('page-person-new').waitFor();
    await this.field('family_name').waitFor();
    return this;
  }

  /** Fills the form; `birth` is typed the way staff write it (e.g. `S23.5.1`). */
  async fill(p) {
    await this.field('family_name').fill(p.familyName);
    await this.field('given_name').fill(p.givenName);
    await this.field('family_kana').fill(p.familyKana);
    await this.field('given_kana').fill(p.givenKana);
    await this.field('birth_text').fill(p.birth);
    await this.field('birth_text').blur();
    await this.field(`sex-${p.sex}`).check();
    for (const category of p.categories) {
      await this.field(`categories-${category}`).check();
    }
    await this.field('care_level').selectOption(p.careLevel);
    await this.field('household').selectOption(p.household);
  }

  /** Saves and returns the new person's page. */
  async submit() {
    await this.save.click();
    const detail = new PersonDetailPage(this.page);
    await detail.card.waitFor();
    return detail;
  }
}

export class PersonDetailPage {
  constructor(page) {
    this.page = page;
    this.card = page.getByTestId('person-card');
    this.commonId = page.getByTestId('person-common-id');
    this.name = page.getByTestId('person-card-name');
    this.kana = page.getByTestId('person-card-kana');
    this.error = page.getByTestId('person-detail-error');
    this.saved = page.getByTestId('person-saved');
  }

  async open(commonId) {
    await this.page.goto(`/persons/${encodeURIComponent(commonId)}`);
    await this.page.getByTestId('page-person-detail').waitFor();
    await this.card.or(this.error).waitFor();
    return this;
  }
}
