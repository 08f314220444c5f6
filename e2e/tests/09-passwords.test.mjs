// Passwords through the UI (issue 13): the centre's manager resets a colleague's forgotten
// password on the アカウント page; signing in with the temporary one, the colleague is kept on
// the パスワード変更 page until they choose their own (a weak one is refused with the server's
// Japanese message), and then signs in with it.
import { ACCOUNTS, RUN_ID } from '../lib/env.mjs';
import { Api } from '../lib/api.mjs';
import { scenario, useBrowser } from '../lib/scenario.mjs';
import { expect } from '../pages/expect.mjs';
import { LoginPage } from '../pages/login-page.mjs';

const browser = useBrowser();
const colleague = { username: `pw-${RUN_ID}`, password: 'the first pass phrase 1' };
const temporary = 'temporary pass phrase 7';
const chosen = 'sea breeze over katsurahama';

async function signInTo(page, account, landing) {
  const login = await new LoginPage(page).open();
  await login.fill(account);
  await login.submit.click();
  await page.getByTestId(landing).waitFor();
}

scenario(browser, 'a centre manager resets a colleague’s password on the アカウント page', async (page) => {
  const manager = await Api.login(ACCOUNTS.manager);
  await manager.post('/accounts', {
    username: colleague.username,
    display_name: 'パスワード 試験',
    password: colleague.password,
    role: 'center_staff',
    scope: { level: 'center', code: 'C001' },
  });
  const shell = await new LoginPage(page).signIn(ACCOUNTS.manager);
  await page.getByTestId('home-accounts-link').click();
  await expect(page.getByTestId('page-accounts')).toBeVisible();
  await page.getByTestId(`account-reset-${colleague.username}`).click();
  await page.getByTestId('account-reset-password').fill(temporary);
  await page.getByTestId('account-reset-submit').click();
  await expect(page.getByTestId('accounts-notice')).toContainText(`${colleague.username} に仮のパスワードを設定しました`);
  await expect(page.getByTestId(`account-${colleague.username}`)).toContainText('パスワード変更待ち');
  await shell.signOut();
});

scenario(browser, 'the temporary password leads only to the change, which refuses a weak one', async (page) => {
  await signInTo(page, { username: colleague.username, password: temporary }, 'page-password');
  await expect(page.getByTestId('password-forced')).toBeVisible();
  // Anywhere else leads back here.
  await page.goto('/persons');
  await page.getByTestId('page-password').waitFor();
  await page.getByTestId('password-current').fill(temporary);
  await page.getByTestId('password-new').fill('aaaaaaaaaaaa');
  await page.getByTestId('password-confirm').fill('aaaaaaaaaaaa');
  await page.getByTestId('password-submit').click();
  await expect(page.getByTestId('password-new-error')).toContainText('推測されやすい');
  await page.getByTestId('password-new').fill(chosen);
  await page.getByTestId('password-confirm').fill(chosen);
  await page.getByTestId('password-submit').click();
  await page.getByTestId('page-home').waitFor();
  await page.getByTestId('logout-button').click();
  await page.getByTestId('page-login').waitFor();
});

scenario(browser, 'the chosen password signs in, the temporary one no longer does', async (page) => {
  const login = await new LoginPage(page).open();
  await login.fill({ username: colleague.username, password: temporary });
  await login.submit.click();
  await expect(login.error).toContainText('ユーザー名またはパスワードが違います');
  await signInTo(page, { username: colleague.username, password: chosen }, 'page-home');
  await page.getByTestId('logout-button').click();
  await page.getByTestId('page-login').waitFor();
});
