// A human confirmation approved from the UI: a run stops before its
// human_confirmation node; the execution detail shows it waiting with
// Approve; Approve runs the rest live to the end.
import { axe, call, createWorkflow, is, like, scenario, setupAdmin, shot, signIn } from './lib.mjs';

const reply = (node_id, message) => ({ node_id, component_type: 'reply_chat', config: { extra_config: { message } } });

scenario(async ({ page }) => {
  const key = await setupAdmin();
  const wf = await createWorkflow(key, {
    name: 'Ship with approval',
    slug: 'ship',
    nodes: [
      { node_id: 'start', component_type: 'trigger_manual' },
      reply('prepare', 'ready to ship'),
      { node_id: 'approval', component_type: 'human_confirmation', config: { extra_config: { prompt: 'Ship it?' } } },
      reply('shipped', 'shipped'),
    ],
    edges: [
      { source_node_id: 'start', target_node_id: 'prepare' },
      { source_node_id: 'prepare', target_node_id: 'approval' },
      { source_node_id: 'approval', target_node_id: 'shipped' },
    ],
  });
  const { execution_id: id } = await call('POST', `/workflows/${wf.slug}/execute/`, { key, body: { text: 'release 1.0' } });

  await signIn(page, key, `/executions/${id}`);
  const box = page.getByTestId('confirmation');
  await box.waitFor();
  is(await page.locator('.facts [data-status="interrupted"]').count(), 1, 'the execution is shown waiting (interrupted)');
  like(await box.textContent(), /Ship it\?/, "with the node's question");
  is(await page.getByTestId('node-log-prepare').locator('[data-status="success"]').count(), 1, 'the node before it has run');
  is(await page.getByTestId('node-log-shipped').count(), 0, 'the node after it has not');
  await shot(page, 'waiting');
  await axe(page, 'execution-waiting');

  await box.getByRole('button', { name: 'Approve' }).click();
  await page.locator('.facts [data-status="completed"]').waitFor();
  is(await page.getByTestId('confirmation').count(), 0, 'the question is gone');
  is(await page.getByTestId('node-log-shipped').locator('[data-status="success"]').count(), 1, 'the rest ran');
  like(await page.getByTestId('final-output').textContent(), /shipped/, 'to the end');
  await shot(page, 'approved');

  const { execution_id: second } = await call('POST', `/workflows/${wf.slug}/execute/`, { key, body: { text: 'release 2.0' } });
  await page.goto(page.url().replace(id, second));
  await page.getByTestId('confirmation').getByRole('button', { name: 'Refuse and cancel' }).click();
  await page.locator('.facts [data-status="cancelled"]').waitFor();
  is(await page.getByRole('button', { name: 'Cancel execution' }).count(), 0, 'refused, the run is cancelled and offers no cancel');
  is((await call('GET', `/executions/${second}/`, { key })).status, 'cancelled', 'the API agrees');
  await shot(page, 'refused');
});
