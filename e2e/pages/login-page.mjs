// The login screen and the shell around every page (header, navigation, sign-out).
import { expect } from './expect.mjs';

export class LoginPage {
  constructor(page) {
    this.page = page;
    this.username = page.getByTestId('login-username');
    this.password = page.getByTestId('login-password');
    this.submit = page.getByTestId('login-submit');
    this.error = page.getByTestId('login-error');
  }

  async open() {
    await this.page.goto('/login');
    await this.username.waitFor();
    return this;
  }

  async fill({ username, password }) {
    await this.username.fill(username);
    await this.password.fill(password);
  }

  /** Signs in and waits for the home page. */
  async signIn(account) {
    await this.open();
    await this.fill(account);
    await this.submit.click();
    await this.page.getByTestId('page-home').waitFor();
    return new Shell(this.page);
  }
}

export class Shell {
  constructor(page) {
    this.page = page;
    this.header = page.getByTestId('app-header');
    this.nav = page.getByTestId('app-nav');
    this.role = page.getByTestId('header-role');
    this.scope = page.getByTestId('header-scope');
    this.user = page.getByTestId('header-user');
    this.nodeRole = page.getByTestId('header-node-role');
    this.logout = page.getByTestId('logout-button');
  }

  navLink(testid) {
    return this.page.getByTestId(testid);
  }

  /** Waits until the navigation has its entries for this account (they follow /meta). */
  async ready() {
    await this.nodeRole.waitFor();
    return this;
  }

  async signOut() {
    await this.logout.click();
    await this.page.getByTestId('page-login').waitFor();
  }
}

/** Signs out if signed in (scenarios switch accounts and nodes; a failed one may have signed out). */
export async function signOutIfSignedIn(page) {
  const logout = page.getByTestId('logout-button');
  if ((await logout.count()) > 0 && (await logout.isVisible())) {
    await logout.click();
    await page.getByTestId('page-login').waitFor();
  }
}

export { expect };
