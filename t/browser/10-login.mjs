// First run and sessions: a fresh install shows the setup page; creating
// the admin signs in; logout revokes the session; login again; and a 401
// (the session key revoked behind the browser's back) sends the browser to
// the login page and, after it, back to the page it was on.
import { ADMIN, api, axe, base, diag, fillLogin, is, pageKey, scenario, shot } from './lib.mjs';

const path = (page) => new URL(page.url()).pathname;
const signedIn = (page) => page.getByRole('button', { name: 'Log out' }).waitFor();

scenario(async ({ page }) => {
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Create the administrator' }).waitFor();
  is(path(page), '/setup', 'a fresh install sends / to the setup page');
  await shot(page, 'setup');
  await axe(page, 'setup');

  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Password again').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await signedIn(page);
  is(path(page), '/', 'creating the administrator signs in and opens the workflows');
  const first = await pageKey(page);
  is((await api('GET', '/users/me', { key: first })).body?.username, ADMIN.username, 'the key the page keeps is the admin\'s');
  await shot(page, 'signed-in');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  is(path(page), '/login', 'logout shows the login page');
  is(await pageKey(page), null, 'logout forgets the key');
  is((await api('GET', '/users/me', { key: first })).status, 401, 'logout revoked the session key');
  await shot(page, 'logged-out');
  await axe(page, 'login');

  await fillLogin(page, ADMIN.username, 'not-the-password');
  is(await page.getByRole('alert').textContent(), 'Wrong username or password.', 'a wrong password is refused with a sentence');
  await fillLogin(page, ADMIN.username, ADMIN.password);
  await signedIn(page);
  is(path(page), '/', 'login again opens the workflows');

  // The session ends behind the browser's back; the next thing the user
  // clicks meets a 401.
  await page.getByRole('link', { name: 'Executions' }).click();
  await page.waitForURL(`${base}/executions`);
  await shot(page, 'executions');
  const key = await pageKey(page);
  is((await api('POST', '/auth/logout/', { key })).status, 204, 'the session key is revoked through the API');
  await page.getByRole('link', { name: 'Credentials' }).click();
  // A page that asks the API nothing yet (a stub) meets the 401 only at
  // its next load: reload then.
  const toLogin = (u) => u.pathname === '/login';
  if (!(await page.waitForURL(toLogin, { timeout: 5000 }).then(() => true, () => false))) {
    diag('/credentials asked the API nothing: its reload meets the 401');
    await page.reload();
    await page.waitForURL(toLogin);
  }
  const at = new URL(page.url());
  is(at.searchParams.get('next'), '/credentials', 'the 401 sends the browser to login, which knows where it was');
  await shot(page, 'login-after-401');
  await fillLogin(page, ADMIN.username, ADMIN.password);
  await signedIn(page);
  is(path(page), '/credentials', 'after login the browser is back on the page it was on');
  await shot(page, 'back');
});
