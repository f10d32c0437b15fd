// Schedules from the schedules page: a cron schedule in a time zone whose
// next runs are previewed while it is typed (a mistake is said at once),
// then created, its next runs listed, paused, resumed and deleted. The
// workflow and its schedule trigger are made through the API first.
import { axe, call, is, like, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

scenario(async ({ page }) => {
  const key = await setupAdmin();
  const wf = await call('POST', '/workflows/', { key, body: { name: 'Nightly report', slug: 'nightly-report' } });
  await call('POST', '/workflows/nightly-report/nodes/', { key, body: { node_id: 'tick', component_type: 'trigger_schedule', label: 'Every night', config: { extra_config: {} } } });

  await signIn(page, key, '/schedules');
  await page.getByText('No schedules.').waitFor();
  await axe(page, 'schedules');
  await page.getByRole('button', { name: 'New schedule' }).click();
  await page.getByLabel('Name').fill('Report at 02:30 Paris time');
  await page.getByLabel('Workflow').selectOption({ label: 'Nightly report' });
  await page.getByLabel('Trigger').selectOption('tick');
  await page.getByLabel('At times (cron)').check();

  const preview = page.getByTestId('cron-preview');
  await page.getByLabel('Cron expression').fill('61 2 * * *');
  await preview.locator('.error').waitFor();
  like(await preview.innerText(), /minute/i, 'a wrong cron expression is explained while typing');
  await shot(page, 'cron-mistake');

  await page.getByLabel('Cron expression').fill('30 2 * * *');
  await page.getByLabel('Time zone').fill('Europe/Paris');
  await preview.locator('li').nth(4).waitFor();
  const times = await preview.locator('time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')));
  is(times.length, 5, 'five next runs are previewed');
  ok(times.every((t) => /T02:30:00\+0[12]:00$/.test(t)), 'each at 02:30 in Paris, with its offset', ...times);
  await shot(page, 'cron-preview');
  await axe(page, 'new schedule form');
  await page.getByRole('button', { name: 'Create schedule' }).click();

  const row = page.getByTestId('schedule-Report at 02:30 Paris time');
  await row.waitFor();
  const list = await call('GET', '/schedules/', { key });
  const s = list.items[0];
  ok(list.total === 1 && s.cron === '30 2 * * *' && s.timezone === 'Europe/Paris' && s.workflow_id === wf.id && s.trigger_node_id === 'tick',
    'the schedule is stored as entered', JSON.stringify(s));
  like(await row.innerText(), /Nightly report[\s\S]*cron 30 2 \* \* \* \(Europe\/Paris\)/, 'the row names the workflow and the timing');

  await row.getByRole('button', { name: /^Next runs of/ }).click();
  const runs = page.getByRole('list', { name: 'Next runs' });
  await runs.locator('li').nth(4).waitFor();
  ok(true, 'the row lists the next five runs');
  await shot(page, 'created');

  await row.getByRole('button', { name: /^Pause/ }).click();
  await row.locator('[data-status="paused"]').waitFor();
  is((await call('GET', `/schedules/${s.id}/`, { key })).status, 'paused', 'pause pauses it');
  await shot(page, 'paused');
  await row.getByRole('button', { name: /^Resume/ }).click();
  await row.locator('[data-status="active"]').waitFor();
  is((await call('GET', `/schedules/${s.id}/`, { key })).status, 'active', 'resume makes it active again');

  page.once('dialog', (d) => d.accept());
  await row.getByRole('button', { name: /^Delete/ }).click();
  await page.getByText('No schedules.').waitFor();
  is((await call('GET', '/schedules/', { key })).total, 0, 'delete removes it');
  await shot(page, 'deleted');
});
