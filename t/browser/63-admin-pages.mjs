// The administrator's pages: users (create, role, a key shown once that
// works and is then revoked, delete), workspaces (create, reset, delete),
// settings (where each value comes from, a refused field stores nothing,
// what needs a restart, the host probed again) and memory (facts listed, the selected deleted).
import { spawnSync } from 'node:child_process';
import { api, axe, base, call, is, like, logIn, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

const confirmNext = (page) => page.once('dialog', (d) => d.accept());

scenario(async ({ page }) => {
  const key = await setupAdmin();
  await signIn(page, key, '/admin/users');

  // --- users ---
  await page.getByRole('button', { name: 'New user' }).click();
  await page.getByLabel('Username').fill('bob');
  await page.getByLabel('Password').fill('bob-has-a-long-password');
  await page.getByRole('button', { name: 'Create user' }).click();
  const bob = page.getByTestId('user-bob');
  await bob.waitFor();
  await axe(page, 'users');
  const bobId = (await call('GET', '/users/', { key })).users.find((u) => u.username === 'bob').id;

  await page.getByLabel('Role of bob').selectOption('admin');
  await page.waitForFunction(async ([k, id]) => (await (await fetch(`/api/v1/users/${id}`, { headers: { Authorization: `Bearer ${k}` } })).json()).role === 'admin', [key, bobId]);
  ok(true, 'changing the role in the list makes bob an administrator');

  await bob.getByRole('button', { name: 'API keys of bob' }).click();
  await page.getByLabel('Key name').fill('backup script');
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByTestId('new-key');
  await shown.waitFor();
  const bobKey = await shown.inputValue();
  await page.getByText("you won't see it again").waitFor();
  await shot(page, 'key-shown-once');
  is((await api('GET', '/users/me', { key: bobKey })).body?.username, 'bob', 'the key shown once works as bob');
  await page.getByRole('button', { name: 'I have copied it' }).click();
  ok(!(await page.content()).includes(bobKey), 'once dismissed, the key is gone from the page');
  confirmNext(page);
  await page.getByRole('button', { name: 'Revoke key backup script' }).click();
  await page.getByRole('button', { name: 'Revoke key backup script' }).waitFor({ state: 'detached' });
  is((await api('GET', '/users/me', { key: bobKey })).status, 401, 'a revoked key is refused');

  // An administrator's new password for bob ends bob's sessions.
  const bobSession = await logIn('bob', 'bob-has-a-long-password');
  await bob.getByRole('button', { name: 'Set a password for bob' }).click();
  await page.getByLabel('New password for bob').fill('bob-gets-another-password');
  confirmNext(page);
  await page.getByRole('button', { name: 'Set password', exact: true }).click();
  await page.getByRole('status').filter({ hasText: "bob's sessions and API keys have been revoked" }).waitFor();
  is((await api('GET', '/users/me', { key: bobSession })).status, 401, 'a new password set by the administrator ends bob\'s session');
  ok(!!(await logIn('bob', 'bob-gets-another-password')), 'and bob logs in with it');

  confirmNext(page);
  await bob.getByRole('button', { name: 'Delete bob' }).click();
  await bob.waitFor({ state: 'detached' });
  ok(!(await call('GET', '/users/', { key })).users.some((u) => u.username === 'bob'), 'delete removes bob from the list');
  await shot(page, 'users');

  // --- workspaces ---
  await page.getByRole('link', { name: 'Workspaces' }).click();
  await page.getByTestId('workspace-default').waitFor();
  ok((await page.getByTestId('workspace-default').getByRole('button', { name: /^Delete/ }).count()) === 0, 'the default workspace offers no delete');
  await page.getByRole('button', { name: 'New workspace' }).click();
  await page.getByLabel('Name').fill('scratch');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  const ws = page.getByTestId('workspace-scratch');
  await ws.waitFor();
  await axe(page, 'workspaces');
  await ws.getByLabel('allowed for scratch').click();
  await page.waitForFunction(async (k) => {
    const r = await (await fetch('/api/v1/workspaces/', { headers: { Authorization: `Bearer ${k}` } })).json();
    return r.items.some((w) => w.name === 'scratch' && w.allow_network);
  }, key);
  await page.waitForFunction(() => document.querySelector('[data-testid="workspace-scratch"] input[type="checkbox"]')?.checked);
  ok(true, 'the network switch of a workspace is saved and shown');
  confirmNext(page);
  await ws.getByRole('button', { name: 'Reset scratch' }).click();
  await page.getByRole('status').filter({ hasText: "Workspace 'scratch' has been reset." }).waitFor();
  ok(true, 'reset says the workspace was emptied');
  await shot(page, 'workspaces');
  confirmNext(page);
  await ws.getByRole('button', { name: 'Delete scratch' }).click();
  await ws.waitFor({ state: 'detached' });
  ok(!(await call('GET', '/workspaces/', { key })).items.some((w) => w.name === 'scratch'), 'delete removes the workspace');

  // --- settings ---
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Log level').waitFor();
  await axe(page, 'settings');
  const setting = (label) => page.locator('.setting', { has: page.getByLabel(label, { exact: true }) });
  await page.getByLabel('Redis URL').fill('redis://user:hunter2hunter2@127.0.0.1:6379/0');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await setting('Redis URL').locator('.error').waitFor();
  like(await setting('Redis URL').locator('.error').innerText(), /password/i, 'a Redis URL with a password is refused at its field');
  await page.getByRole('alert').filter({ hasText: 'Nothing was saved' }).waitFor();
  is((await call('GET', '/settings/', { key })).sources.redis_url, 'default', 'and nothing was stored');
  await shot(page, 'settings-refused');
  await page.getByRole('button', { name: 'Undo changes' }).click();

  await page.getByLabel('Log level').selectOption('DEBUG');
  await page.getByLabel('Allow every origin (CORS)').check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  const outcome = page.getByRole('status').filter({ hasText: 'In force within 2 seconds' });
  await outcome.waitFor();
  like(await outcome.innerText(), /within 2 seconds everywhere: Log level[\s\S]*after Pipelit is restarted[\s\S]*Allow every origin/, 'the answer says what applies now and what at the next start');
  await setting('Log level').getByText('set here').waitFor();
  const stored = await call('GET', '/settings/', { key });
  ok(stored.config.log_level === 'DEBUG' && stored.sources.log_level === 'database' && stored.config.cors_allow_all_origins === true, 'both are stored');
  await shot(page, 'settings-saved');
  await page.getByRole('button', { name: 'Give Log level back to the environment' }).click();
  await page.getByRole('button', { name: 'Save changes' }).click();
  // The field shows "from the environment" as soon as it is given back; the
  // note under it goes only once the saved settings have been read again.
  await setting('Log level').getByText("(the environment's value after saving)").waitFor({ state: 'detached' });
  ok((await call('GET', '/settings/', { key })).sources.log_level !== 'database', 'giving a field back removes the stored value');
  await page.getByRole('button', { name: 'Check again' }).click();
  await page.getByRole('status').filter({ hasText: 'Checked just now.' }).waitFor();
  ok(true, 'the host is probed again on demand');

  // --- memory: two facts put in the database as an agent would leave them ---
  const db = (process.env.DATABASE_URL || '').replace(/^sqlite:\/\/\//, '');
  if (process.env.DATABASE_URL?.startsWith('sqlite:///')) {
    const sql = `INSERT INTO memory_facts (id, scope, key, value, fact_type) VALUES
      ('f0000000-0000-4000-8000-000000000001', 'global', 'favourite_colour', '"blue"', 'user_preference'),
      ('f0000000-0000-4000-8000-000000000002', 'global', 'office_city', '"Lyon"', 'world_knowledge');`;
    const r = spawnSync('sqlite3', [db, sql], { encoding: 'utf8' });
    ok(r.status === 0, 'two facts are put in the database', r.stderr);
  }
  await page.goto(`${base}/admin/memory`);
  await page.getByRole('table', { name: 'facts' }).waitFor();
  await axe(page, 'memory');
  await shot(page, 'memory');
  await page.getByRole('checkbox', { name: 'Select fact favourite_colour' }).check();
  confirmNext(page);
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await page.getByText('favourite_colour').waitFor({ state: 'detached' });
  const facts = await call('GET', '/memories/facts/', { key });
  ok(facts.total === 1 && facts.items[0].key === 'office_city', 'the selected fact is deleted, the other kept', JSON.stringify(facts));
  // The tabs work from the keyboard: arrow keys move between them.
  await page.getByRole('tab', { name: 'Facts' }).focus();
  for (const tab of ['Episodes', 'Procedures', 'People', 'Conversations']) {
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: tab, selected: true }).waitFor();
    await page.getByRole('tabpanel').getByRole('status').first().waitFor();
  }
  ok(await page.getByRole('tab', { name: 'Conversations' }).evaluate((e) => e === document.activeElement), 'the arrow keys move the focus along the tabs');
  await axe(page, 'memory conversations');
  await shot(page, 'memory-conversations');
});
