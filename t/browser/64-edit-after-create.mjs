// What can be changed after creation: a workspace's variables (a stored
// secret kept without being shown, one added, one removed; a refusal of the
// server said in the form) and a schedule's timing (an interval schedule
// made a cron one in a time zone; a wrong expression refused at its field).
// Last, the dark theme: chosen, or followed from the system.
import { axe, call, is, like, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

scenario(async ({ page }) => {
  const key = await setupAdmin();
  const secret = 'kept-secret-value-1234';
  const ws = await call('POST', '/workspaces/', {
    key,
    body: { name: 'builds', env_vars: [{ key: 'TOKEN', value: secret }, { key: 'OLD_FLAG', value: 'yes' }] },
  });
  const maskBefore = ws.env_vars.find((v) => v.key === 'TOKEN').value;

  // --- workspace variables ---
  await signIn(page, key, '/workspaces');
  const row = page.getByTestId('workspace-builds');
  await row.getByRole('button', { name: 'Variables of builds' }).click();
  const form = page.getByRole('form', { name: 'Variables of builds' });
  await form.waitFor();
  ok(!(await page.content()).includes(secret), 'the stored value is not in the page');
  await form.getByRole('button', { name: 'Remove variable OLD_FLAG' }).click();
  await form.getByRole('button', { name: 'Add a variable' }).click();
  await form.getByLabel('Name of variable 2').fill('2BAD');
  await form.getByLabel('Value of variable 2').fill('x');
  await form.getByRole('button', { name: 'Save variables' }).click();
  const refusal = form.getByRole('alert');
  await refusal.waitFor();
  like(await refusal.innerText(), /key/i, "the server's refusal of a bad name is said in the form");
  await shot(page, 'variables-refused');
  await axe(page, 'workspace variables');

  await form.getByLabel('Name of variable 2').fill('REGION');
  await form.getByLabel('Value of variable 2').fill('eu-west');
  await form.getByRole('button', { name: 'Save variables' }).click();
  await form.waitFor({ state: 'detached' });
  await row.getByText('TOKEN, REGION').waitFor();
  const after = (await call('GET', `/workspaces/${ws.id}/`, { key })).env_vars;
  is(after.map((v) => v.key).join(','), 'TOKEN,REGION', 'the variables are saved: one kept, one removed, one added');
  is(after.find((v) => v.key === 'TOKEN').value, maskBefore, 'the untouched secret keeps its stored value');
  await shot(page, 'variables-saved');

  // --- schedule settings ---
  const wf = await call('POST', '/workflows/', { key, body: { name: 'Sync', slug: 'sync' } });
  await call('POST', '/workflows/sync/nodes/', { key, body: { node_id: 'tick', component_type: 'trigger_schedule', config: { extra_config: {} } } });
  const s = await call('POST', '/schedules/', { key, body: { name: 'sync', workflow_id: wf.id, interval_seconds: 600 } });
  await page.getByRole('link', { name: 'Schedules' }).click();
  const srow = page.getByTestId('schedule-sync');
  await srow.getByRole('button', { name: 'Change sync' }).click();
  const sform = page.getByRole('form', { name: 'Change schedule sync' });
  is(await sform.getByLabel('Every').inputValue(), '10', 'the form starts from the stored interval (10 minutes)');
  await sform.getByLabel('At times (cron)').check();
  await sform.getByLabel('Cron expression').fill('61 2 * * *');
  await sform.getByLabel('Time zone').fill('Europe/Paris');
  await sform.getByRole('button', { name: 'Save schedule' }).click();
  await sform.locator('.field .error').first().waitFor();
  like(await sform.locator('.field .error').first().innerText(), /minute/i, "the server's refusal of the expression is shown at its field");
  is((await call('GET', `/schedules/${s.id}/`, { key })).interval_seconds, 600, 'and nothing was changed');
  await axe(page, 'schedule edit');

  await sform.getByLabel('Cron expression').fill('30 2 * * *');
  await sform.getByLabel('Name').fill('nightly sync');
  await sform.getByRole('button', { name: 'Save schedule' }).click();
  await page.getByTestId('schedule-nightly sync').waitFor();
  const stored = await call('GET', `/schedules/${s.id}/`, { key });
  ok(stored.cron === '30 2 * * *' && stored.timezone === 'Europe/Paris' && stored.interval_seconds === null && stored.name === 'nightly sync',
    'the schedule is now a cron one in Paris time, renamed', JSON.stringify(stored));
  like(await page.getByTestId('schedule-nightly sync').innerText(), /cron 30 2 \* \* \* \(Europe\/Paris\)/, 'the row shows the new timing');
  await shot(page, 'schedule-changed');

  // --- the dark theme, written once in the stylesheet ---
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const light = await background();
  await page.getByLabel('Theme').selectOption('dark');
  const dark = await background();
  ok(dark !== light, 'choosing Dark changes the colours', light, dark);
  await axe(page, 'schedules dark');
  await shot(page, 'dark');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.getByLabel('Theme').selectOption('system');
  is(await background(), dark, 'the system theme follows a system that prefers dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForFunction((l) => getComputedStyle(document.body).backgroundColor === l, light);
  ok(true, 'and follows it when it turns light');
});
