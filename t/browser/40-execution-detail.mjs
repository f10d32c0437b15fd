// A completed run's detail: from the executions list to the execution, its
// node timeline (a bar per node), each node's output on a click, tokens and
// cost, the final output; re-run with the same input starts a new execution
// that completes live; a failed run shows its error at the node; the charts
// count the runs and the failure.
import { axe, call, createWorkflow, is, like, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

const payload = (page) => page.getByRole('region', { name: 'Trigger payload' }).locator('pre').textContent();
const reply = (node_id, message) => ({ node_id, component_type: 'reply_chat', config: { extra_config: { message } } });

scenario(async ({ page }) => {
  const key = await setupAdmin();
  const wf = await createWorkflow(key, {
    name: 'Two steps',
    slug: 'two-steps',
    nodes: [
      { node_id: 'start', component_type: 'trigger_manual' },
      { node_id: 'pause', component_type: 'wait', config: { extra_config: { duration: 0.3, unit: 'seconds' } } },
      reply('answer', 'all done'),
    ],
    edges: [
      { source_node_id: 'start', target_node_id: 'pause' },
      { source_node_id: 'pause', target_node_id: 'answer' },
    ],
  });
  const { execution_id: first } = await call('POST', `/workflows/${wf.slug}/execute/`, { key, body: { text: 'hello there' } });

  await signIn(page, key, '/executions');
  await page.getByRole('heading', { name: 'Executions' }).waitFor();
  await page.getByRole('link', { name: new RegExp(`execution ${first}`) }).click();
  await page.waitForURL(`**/executions/${first}`);
  // Live (or reloaded) until it has finished.
  await page.locator('.facts [data-status="completed"]').waitFor();
  await shot(page, 'completed');

  const bars = page.getByTestId('timeline').locator('.timeline-bar');
  is(await bars.count(), 2, 'the timeline has a bar per node that ran (wait, reply)');
  // The wait holds its successor back 0.3 s: the reply's bar starts further right.
  const xs = await bars.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().x));
  ok(xs[1] - xs[0] > 100, 'each bar is placed by when its node started', JSON.stringify(xs));
  like(await bars.first().getAttribute('aria-label'), /^pause: completed/, 'a bar names its node and status');
  is(await bars.first().getAttribute('data-status'), 'success', 'and carries the node badge status');

  await page.getByRole('button', { name: /^answer: completed/ }).click();
  const answer = page.getByTestId('node-log-answer');
  await answer.getByLabel('Output of answer').waitFor();
  like(await answer.getByLabel('Output of answer').textContent(), /all done/, "clicking the bar opens the node's output");
  like(await page.getByTestId('final-output').textContent(), /all done/, 'the final output');
  like(await payload(page), /hello there/, 'the trigger payload');
  is(await page.getByTestId('tokens').textContent(), '0', 'tokens (no model here)');
  await shot(page, 'node-output');
  await axe(page, 'execution-detail');

  await page.getByRole('button', { name: 'Re-run with the same input' }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/executions/') && !u.pathname.endsWith(first));
  await page.locator('.facts [data-status="completed"]').waitFor();
  like(await payload(page), /hello there/, 'the re-run had the same input');
  await shot(page, 're-run');

  const broken = await createWorkflow(key, {
    name: 'Broken',
    slug: 'broken',
    nodes: [
      { node_id: 'start', component_type: 'trigger_manual' },
      // A length rule whose value (known only at run time) is no integer.
      { node_id: 'check', component_type: 'switch', config: { extra_config: { rules: [{ id: 'r', field: 'trigger.text', operator: 'length_eq', value: '{{ trigger.text }}' }] } } },
    ],
    edges: [{ source_node_id: 'start', target_node_id: 'check' }],
  });
  const { execution_id: bad } = await call('POST', `/workflows/${broken.slug}/execute/`, { key, body: { text: 'many' } });
  await page.goto(page.url().replace(/\/executions\/.*/, `/executions/${bad}`));
  await page.locator('.facts [data-status="failed"]').waitFor();
  const failedNode = page.getByTestId('node-log-check');
  is(await failedNode.locator('[data-status="failed"]').count(), 1, 'the failed node is marked failed');
  await failedNode.locator('summary').click();
  like(await failedNode.textContent(), /bad_value/, "the node's error code shows when it is opened");
  await shot(page, 'failed');

  await page.getByRole('link', { name: 'Executions', exact: true }).click();
  await page.getByText('Executions per day: 3 in all').waitFor();
  is(await page.getByText('Failures per day: 1 in all').count(), 1, 'the charts count the runs and the failure');
  await shot(page, 'list-and-charts');
  await axe(page, 'executions');
});
