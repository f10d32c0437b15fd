// The live connection cut and restored in the middle of a run leaves every
// badge right: a run whose second half waits a few seconds; after the first
// node's badge the browser goes offline and nginx drops the workflow's
// channel (its subscribers are disconnected, its buffer of messages gone);
// the run ends meanwhile (the page cannot know: its badges are stale), and
// once the browser is back online the page reloads the run from the API and
// every badge is right. Before the run, the workflow's budget is set.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { axe, call, createWorkflow, is, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

scenario(async ({ page, context }) => {
  const key = await setupAdmin();
  const wf = await createWorkflow(key, {
    name: 'Slow',
    nodes: [
      { node_id: 'start', component_type: 'trigger_manual', position_x: 0, position_y: 0 },
      { node_id: 'slow', component_type: 'wait', config: { extra_config: { duration: 4 } }, position_x: 240, position_y: 0 },
      { node_id: 'after', component_type: 'wait', position_x: 480, position_y: 0 },
      { node_id: 'last', component_type: 'wait', position_x: 720, position_y: 0 },
    ],
    edges: [
      { source_node_id: 'start', target_node_id: 'slow' },
      { source_node_id: 'slow', target_node_id: 'after' },
      { source_node_id: 'after', target_node_id: 'last' },
    ],
  });
  await signIn(page, key, `/workflows/${wf.slug}`);
  await page.locator('[data-testid="canvas"][data-ready="true"]').waitFor();
  await page.locator('[data-live="live"]').waitFor();
  await shot(page, 'live');

  // The budget: what today used, a limit refused at its field, then saved.
  await page.getByRole('button', { name: 'Budget' }).click();
  const budget = page.getByRole('form', { name: 'Budget' });
  await budget.getByTestId('budget-today').waitFor();
  await budget.getByLabel('Tokens per day').fill('-1');
  await budget.getByRole('button', { name: 'Save budget' }).click();
  await budget.getByText('A whole number from 0, or empty for no limit.').waitFor();
  await budget.getByLabel('Tokens per day').fill('100000');
  await budget.getByLabel('USD per run').fill('0.5');
  await shot(page, 'budget');
  await budget.getByRole('button', { name: 'Save budget' }).click();
  await budget.waitFor({ state: 'detached' });
  const limits = (await call('GET', `/workflows/${wf.slug}/`, { key })).budget;
  ok(limits.max_tokens_per_day === 100000 && limits.max_usd_per_execution === 0.5 && limits.max_usd_per_day === null, 'the budget is saved as entered', JSON.stringify(limits));

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator('[data-testid="status-slow"][data-status="success"]').waitFor();
  const href = await page.getByTestId('execution-link').getAttribute('href');
  const id = href.split('/').pop();
  is(await page.getByTestId('status-last').getAttribute('data-status'), 'pending', 'mid-run: the last node is not reached yet');

  // Cut: the stream drops and the page says it is not live.
  await context.setOffline(true);
  const publisher = path.join(process.env.PIPELIT_STACK_DIR, 'nginx', 'publish', 'events.sock');
  const dropped = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--unix-socket', publisher, '-X', 'DELETE', `http://localhost/pub/workflow:${wf.slug}`], { encoding: 'utf8' });
  ok(/^2\d\d$/.test(dropped.stdout), 'nginx drops the workflow\'s channel', dropped.stdout, dropped.stderr);
  await page.locator('[data-live="connecting"], [data-live="polling"]').waitFor();
  await shot(page, 'cut');

  // The run ends while the page is cut off.
  let status = '';
  for (let i = 0; i < 120 && status !== 'completed'; i++) {
    status = (await call('GET', `/executions/${id}/`, { key })).status;
    if (status !== 'completed') await page.waitForTimeout(250);
  }
  is(status, 'completed', 'the run ended while the browser was offline');
  is(await page.getByTestId('status-last').getAttribute('data-status'), 'pending', 'cut off, the page has not seen the end (the cut is real)');
  await shot(page, 'stale');

  // Back online: the page catches up.
  await context.setOffline(false);
  await page.locator('[data-testid="status-last"][data-status="success"]').waitFor();
  await page.locator('[data-testid="execution-status"][data-status="completed"]').waitFor();
  for (const n of ['slow', 'after', 'last']) is(await page.getByTestId(`status-${n}`).getAttribute('data-status'), 'success', `after the cut, ${n} shows success`);
  const logs = (await call('GET', `/executions/${id}/`, { key })).logs;
  ok(logs.every((l) => l.status === 'completed'), 'the API agrees: every node completed', JSON.stringify(logs.map((l) => [l.node_id, l.status])));
  await page.locator('[data-live="live"]').waitFor({ timeout: 30000 });
  ok(true, 'the live connection comes back');
  await shot(page, 'caught-up');
  await axe(page, 'editor after a reconnect');
});
