// A node renamed from its panel: a taken id and the reserved "__end__" are
// refused in the server's words; a new id moves the node's edges with it on
// the server and on the canvas, and undo gives the old id back. The
// workflow's stored route to "__end__" is drawn to the end marker on load.
import { axe, call, createWorkflow, is, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

scenario(async ({ page }) => {
  const key = await setupAdmin();
  const wf = await createWorkflow(key, {
    name: 'Rename',
    nodes: [
      { node_id: 'start', component_type: 'trigger_manual', position_x: 0, position_y: 0 },
      { node_id: 'route', component_type: 'switch', config: { extra_config: { rules: [{ id: 'go', field: 'trigger.text', operator: 'equals', value: 'go' }] } }, position_x: 280, position_y: 0 },
      { node_id: 'pause', component_type: 'wait', position_x: 560, position_y: -80 },
    ],
    edges: [
      { source_node_id: 'start', target_node_id: 'route' },
      { source_node_id: 'route', target_node_id: 'pause', edge_type: 'conditional', condition_value: 'go' },
      { source_node_id: 'route', target_node_id: '__end__', edge_type: 'conditional', condition_value: 'done' },
    ],
  });
  await signIn(page, key, `/workflows/${wf.slug}`);
  await page.locator('[data-testid="canvas"][data-ready="true"]').waitFor();
  // An edge's group has no box of its own (its path has): attached is drawn.
  const edgeNamed = (label) => ({ waitFor: () => page.locator(`.react-flow__edge[aria-label="${label}"]`).waitFor({ state: 'attached' }) });
  await edgeNamed('Edge from route to the end of the run when done').waitFor();
  ok(await page.getByTestId('node-__end__').isVisible(), 'the stored route to __end__ is drawn to the end marker');
  await shot(page, 'loaded');

  await page.locator('.react-flow__node[data-id="route"]').click();
  const panel = page.getByRole('complementary', { name: 'Settings of route' });
  const field = panel.getByLabel('Node id');
  const error = panel.getByRole('form', { name: 'Rename the node' }).locator('.error, [role="alert"]');
  await field.fill('pause');
  await panel.getByRole('button', { name: 'Rename' }).click();
  await error.first().waitFor();
  ok(/already exists/.test(await error.first().innerText()), 'a taken id: the server\'s refusal is shown', await error.first().innerText());
  await field.fill('__end__');
  await panel.getByRole('button', { name: 'Rename' }).click();
  await page.waitForFunction(() => /reserved/.test(document.querySelector('form[aria-label="Rename the node"]')?.textContent || ''));
  ok(true, 'the reserved id: the server\'s refusal is shown');
  await shot(page, 'refused');
  await axe(page, 'editor with the rename form');

  await field.fill('decide');
  await panel.getByRole('button', { name: 'Rename' }).click();
  const renamed = page.getByRole('complementary', { name: 'Settings of decide' });
  await renamed.getByText('Renamed.').waitFor();
  await edgeNamed('Edge from start to decide').waitFor();
  await edgeNamed('Edge from decide to pause when go').waitFor();
  await edgeNamed('Edge from decide to the end of the run when done').waitFor();
  is(await page.locator('.react-flow__node[data-id="route"]').count(), 0, 'the old id is gone from the canvas');
  const nodes = (await call('GET', `/workflows/${wf.slug}/nodes/`, { key })).map((n) => n.node_id).sort();
  is(nodes.join(','), 'decide,pause,start', 'the server has the node under its new id');
  const edges = (await call('GET', `/workflows/${wf.slug}/edges/`, { key })).map((e) => `${e.source_node_id}>${e.target_node_id}`).sort();
  is(edges.join(','), 'decide>__end__,decide>pause,start>decide', 'its edges followed it on the server');
  await shot(page, 'renamed');

  await page.getByRole('button', { name: 'Undo' }).click();
  await page.locator('.react-flow__node[data-id="route"]').waitFor();
  await edgeNamed('Edge from start to route').waitFor();
  const back = (await call('GET', `/workflows/${wf.slug}/nodes/`, { key })).map((n) => n.node_id).sort();
  is(back.join(','), 'pause,route,start', 'undo gives the node its old id on the server');
  await shot(page, 'undone');
});
