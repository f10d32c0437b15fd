// The account page: change one's password (a wrong current one is
// refused), then two-factor login: set it up (a QR code drawn as
// inline SVG and the secret for typing), confirm it with a first code,
// log out, and log in again with the password and a code computed here
// from the secret the page showed (RFC 6238: HMAC-SHA1, 30 s, 6 digits).
import crypto from 'node:crypto';
import { ADMIN, api, axe, base, fillLogin, is, ok, pageKey, scenario, setupAdmin, shot, signIn } from './lib.mjs';

function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/[\s=]/g, '').toUpperCase()) {
    const i = alphabet.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

// The code of a 30-second time step.
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(at) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, '0');
}
const stepNow = () => Math.floor(Date.now() / 1000 / 30);

scenario(async ({ page }) => {
  const key = await setupAdmin();
  await signIn(page, key, '/account');
  await page.getByRole('heading', { name: 'Two-factor login' }).waitFor();
  is(await page.getByTestId('mfa-state').innerText(), 'off', 'two-factor login starts off');
  await shot(page, 'account');
  await axe(page, 'account');

  const password = 'a-new-and-longer-password';
  const form = page.getByRole('form', { name: 'Change your password' });
  await form.getByLabel('Current password').fill('not-my-password');
  await form.getByLabel('New password', { exact: true }).fill(password);
  await form.getByLabel('New password again').fill(password);
  await form.getByRole('button', { name: 'Change password' }).click();
  await form.getByText('Current password is incorrect.').waitFor();
  ok(true, 'a wrong current password is refused at its field');
  await form.getByLabel('Current password').fill(ADMIN.password);
  await form.getByRole('button', { name: 'Change password' }).click();
  await form.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
  // (The new password is used by the login below: a login here would
  // rotate the user's one session key and end the page's session.)
  is((await api('GET', '/users/me', { key })).status, 200, 'this session goes on after the change');
  await shot(page, 'password-changed');

  await page.getByRole('button', { name: 'Set up two-factor login' }).click();
  const qr = page.getByRole('img', { name: /QR code/ });
  await qr.waitFor();
  ok(await qr.evaluate((e) => e.tagName.toLowerCase() === 'svg' && (e.querySelector('path')?.getAttribute('d') || '').length > 100), 'the QR code is drawn as inline SVG');
  const secret = await page.getByTestId('mfa-secret').getAttribute('data-secret');
  ok(/^[A-Z2-7]{16,}$/.test(secret || ''), 'the secret is shown for typing in by hand', secret);
  is((await page.getByTestId('mfa-secret').innerText()).replace(/\s/g, ''), secret, 'the text shown is that secret, grouped');
  await shot(page, 'enrol');
  await axe(page, 'mfa enrolment');

  // A wrong first code leaves it off.
  const step = stepNow();
  const good = totp(secret, step);
  await page.getByLabel('Code from the app').fill(good === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('alert').waitFor();
  is((await api('GET', '/auth/mfa/status/', { key })).body?.mfa_enabled, false, 'a wrong first code does not turn it on');
  await shot(page, 'wrong-code');

  await page.getByLabel('Code from the app').fill(totp(secret, stepNow()));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('status').filter({ hasText: 'Two-factor login is on' }).waitFor();
  is(await page.getByTestId('mfa-state').innerText(), 'on', 'the page says it is on');
  is((await api('GET', '/auth/mfa/status/', { key })).body?.mfa_enabled, true, 'the server has it on');
  ok((await page.locator('[data-testid="mfa-secret"]').count()) === 0, 'the secret is gone from the page once enrolled');
  await shot(page, 'enabled');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  await fillLogin(page, ADMIN.username, password);
  const codeField = page.getByLabel('Authentication code');
  await codeField.waitFor();
  ok(true, 'the new password alone leads to the code step');
  await shot(page, 'code-step');
  // The code of the next step: the server takes one step either side, and
  // refuses a step at or before the one that turned it on (replay guard).
  await codeField.fill(totp(secret, stepNow() + 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  const after = await pageKey(page);
  is((await api('GET', '/users/me', { key: after })).body?.username, ADMIN.username, 'password and code log in');
  await shot(page, 'logged-in');

  // Turning it off needs a right code; a wrong one changes nothing.
  await page.goto(`${base}/account`);
  await page.getByRole('button', { name: 'Turn two-factor login off' }).waitFor();
  await page.getByLabel('Current code').fill('000000' === totp(secret, stepNow()) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Turn two-factor login off' }).click();
  await page.getByRole('alert').waitFor();
  is((await api('GET', '/auth/mfa/status/', { key: after })).body?.mfa_enabled, true, 'a wrong code leaves two-factor login on');
  await shot(page, 'disable-refused');
});
