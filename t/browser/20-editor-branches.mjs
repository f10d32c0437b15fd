// The editor, from an empty workflow: a manual trigger added from the
// keyboard, a switch and two branches dragged from the palette, connected
// (the switch's edges asking for their route), a connection the server
// refuses shown in its words, a node deleted with the Delete key and brought
// back with undo; the switch's rules set in its panel; then Run: the live
// badges show the branch taken, the other one not reached and the trigger
// that started the run as run, and the node's panel shows what it gave;
// then the run's execution detail: the branch taken ran, the other did not,
// the trigger is marked, and the timeline has a bar per node that ran.
import { axe, call, createWorkflow, is, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

scenario(async ({ page }) => {
  const key = await setupAdmin();
  const wf = await createWorkflow(key, { name: 'Branches' });
  await signIn(page, key, `/workflows/${wf.slug}`);
  const canvas = page.getByTestId('canvas');
  await page.locator('[data-testid="canvas"][data-ready="true"]').waitFor();
  await shot(page, 'empty');
  await axe(page, 'editor');

  const search = page.getByLabel('Search node types');
  const nodeIds = () => page.locator('.react-flow__node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
  // The trigger from the keyboard: a focused palette item and Enter put it
  // in the middle of the view.
  await search.fill('manual');
  await page.getByRole('button', { name: 'Add Manual Trigger' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-testid^="node-trigger_manual_"]').waitFor();
  const drag = async (q, name, x, y) => {
    await search.fill(q);
    await page.getByRole('button', { name }).dragTo(canvas, { targetPosition: { x, y } });
  };
  await drag('switch', 'Add Switch', 560, 440);
  await page.locator('[data-testid^="node-switch_"]').waitFor();
  await drag('wait', 'Add Wait', 850, 330);
  await page.locator('[data-testid^="node-wait_"]').first().waitFor();
  await drag('wait', 'Add Wait', 850, 540);
  await page.locator('[data-testid^="node-wait_"]').nth(1).waitFor();
  await drag('filter', 'Add Filter', 300, 560);
  await page.locator('[data-testid^="node-filter_"]').waitFor();
  await search.fill('');
  const ids = await nodeIds();
  const trig = ids.find((i) => i.startsWith('trigger_manual_'));
  const sw = ids.find((i) => i.startsWith('switch_'));
  const filter = ids.find((i) => i.startsWith('filter_'));
  // The upper branch first on the canvas is the one dropped first.
  const [left, right] = ids.filter((i) => i.startsWith('wait_'));
  await shot(page, 'nodes-added');
  const stored = await call('GET', `/workflows/${wf.slug}/nodes/`, { key });
  is(stored.length, 5, 'the five nodes added are stored');

  // Connections: from a handle to a handle, as a user drags them.
  const handle = (id, h) => page.locator(`.react-flow__node[data-id="${id}"] [data-handleid="${h}"]`);
  const connect = async (a, ah, b, bh) => {
    const s = await handle(a, ah).boundingBox();
    const t = await handle(b, bh).boundingBox();
    await page.mouse.move(s.x + s.width / 2, s.y + s.height / 2);
    await page.mouse.down();
    await page.mouse.move((s.x + t.x) / 2, (s.y + t.y) / 2, { steps: 5 });
    await page.mouse.move(t.x + t.width / 2, t.y + t.height / 2, { steps: 5 });
    await page.mouse.up();
  };
  const edges = page.locator('.react-flow__edge');
  await connect(trig, 'out:payload', sw, 'in:input');
  await edges.first().waitFor();
  await connect(sw, 'out:route', left, 'in:input');
  await page.getByRole('dialog', { name: 'Route of this connection' }).waitFor();
  await page.getByLabel('Condition value').fill('left');
  await page.getByRole('button', { name: 'Connect' }).click();
  await edges.nth(1).waitFor();
  await connect(sw, 'out:route', right, 'in:input');
  await page.getByLabel('Condition value').fill('right');
  await page.getByRole('button', { name: 'Connect' }).click();
  await edges.nth(2).waitFor();
  await page.locator('.react-flow__edge-text', { hasText: 'right' }).waitFor();
  // A route that ends the run: to the end marker the switch brings along.
  await connect(sw, 'out:route', '__end__', 'in');
  await page.getByLabel('Condition value').fill('stop');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('.react-flow__edge-text', { hasText: 'stop' }).waitFor();
  is(await page.locator(`.react-flow__edge[aria-label="Edge from ${sw} to the end of the run when stop"]`).count(), 1,
    'the route to the end is drawn to the end marker');
  await shot(page, 'connected');

  // A wait gives text; a filter wants a list: the server says no, in words.
  await connect(left, 'out:output', filter, 'in:input');
  const refusal = page.getByTestId('editor-error');
  await refusal.waitFor();
  const said = await refusal.innerText();
  ok(/Type mismatch: wait outputs 'string' but filter expects 'array'/.test(said), 'the refused connection shows the server\'s message', said);
  is(await edges.count(), 4, 'the refused connection is not drawn');
  await shot(page, 'refused');

  // A move is saved; undo puts the node back where it was.
  const where = async () => {
    const n = (await call('GET', `/workflows/${wf.slug}/nodes/`, { key })).find((x) => x.node_id === filter);
    return [n.position_x, n.position_y];
  };
  const settle = async (want) => {
    let got = await where();
    for (let i = 0; i < 40 && want(got) === false; i++) {
      await new Promise((r) => setTimeout(r, 250));
      got = await where();
    }
    return got;
  };
  const before = await where();
  const title = page.locator(`.react-flow__node[data-id="${filter}"] .node-title`);
  const box = await title.boundingBox();
  await page.mouse.move(box.x + 20, box.y + 5);
  await page.mouse.down();
  await page.mouse.move(box.x + 60, box.y + 45, { steps: 6 });
  await page.mouse.up();
  const moved = await settle((p) => p[0] !== before[0]);
  ok(moved[0] > before[0] && moved[1] > before[1], 'the node\'s new position is saved', JSON.stringify([before, moved]));
  await page.getByRole('button', { name: 'Undo' }).click();
  const back = await settle((p) => p[0] === before[0]);
  is(JSON.stringify(back), JSON.stringify(before), 'undo moves it back on the server');

  // Delete with the key, undo brings it back, redo deletes it again.
  await page.locator(`.react-flow__node[data-id="${filter}"]`).click();
  await page.keyboard.press('Delete');
  await page.locator(`.react-flow__node[data-id="${filter}"]`).waitFor({ state: 'detached' });
  ok(!(await call('GET', `/workflows/${wf.slug}/nodes/`, { key })).some((n) => n.node_id === filter), 'the Delete key deletes the node on the server');
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.locator(`.react-flow__node[data-id="${filter}"]`).waitFor();
  ok((await call('GET', `/workflows/${wf.slug}/nodes/`, { key })).some((n) => n.node_id === filter), 'undo brings the node back on the server');
  await page.keyboard.press('Control+Shift+Z');
  await page.locator(`.react-flow__node[data-id="${filter}"]`).waitFor({ state: 'detached' });
  await shot(page, 'deleted-undone-redone');

  // The switch's rules, from its panel.
  await page.locator(`.react-flow__node[data-id="${sw}"]`).click();
  const panel = page.getByRole('complementary', { name: `Settings of ${sw}` });
  for (const [i, v] of [[1, 'left'], [2, 'right']]) {
    await panel.getByRole('button', { name: 'Add to rules' }).click();
    const rule = panel.getByRole('group', { name: `Rules ${i}` });
    await rule.getByLabel('Id').fill(v);
    await rule.getByLabel('Field').fill('trigger.text');
    await rule.getByLabel('Value').fill(v);
  }
  await panel.getByRole('button', { name: 'Save settings' }).click();
  await panel.getByText('Saved.').waitFor();
  await shot(page, 'switch-rules');
  await axe(page, 'editor with a node panel');
  const saved = (await call('GET', `/workflows/${wf.slug}/nodes/`, { key })).find((n) => n.node_id === sw);
  is(saved.config.extra_config.rules.map((r) => r.id).join(','), 'left,right', 'the rules are stored');
  const storedEdges = await call('GET', `/workflows/${wf.slug}/edges/`, { key });
  is(storedEdges.filter((e) => e.edge_type === 'conditional').map((e) => `${e.condition_value}>${e.target_node_id === '__end__' ? 'end' : 'node'}`).sort().join(','),
    'left>node,right>node,stop>end', 'the branches are conditional edges with their values, one to the end');

  // Run: the left branch runs, the right one is not reached.
  await panel.getByRole('button', { name: 'Close the node panel' }).click();
  await panel.waitFor({ state: 'detached' });
  await page.getByLabel('Run input text').fill('left');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator(`[data-testid="status-${left}"][data-status="success"]`).waitFor();
  await page.locator('[data-testid="execution-status"][data-status="completed"]').waitFor();
  is(await page.getByTestId(`status-${sw}`).getAttribute('data-status'), 'success', 'the switch ran');
  is(await page.getByTestId(`status-${right}`).getAttribute('data-status'), 'pending', 'the branch not taken is shown as not reached');
  await page.locator(`[data-testid="status-${trig}"][data-status="success"]`).waitFor();
  ok(true, 'the trigger that started the run is shown as run');
  await shot(page, 'ran-left');

  // The node's panel: what it gave in that run. The whole graph in view
  // first: the run's notice above the canvas moves it down, and a node near
  // the canvas's top edge can end up under the toolbar.
  await page.getByRole('button', { name: 'Fit View' }).click();
  await page.locator(`.react-flow__node[data-id="${left}"]`).click();
  const out = page.getByRole('complementary', { name: `Settings of ${left}` }).getByTestId('run-output');
  await out.waitFor();
  ok(/Waited 0\.0 seconds/.test(await out.innerText()), 'the panel shows the node\'s output of the run', await out.innerText());
  const link = page.getByTestId('execution-link');
  ok(/^\/executions\/[0-9a-f-]+$/.test(await link.getAttribute('href')), 'the run links to its execution');
  await shot(page, 'node-output');

  // The execution detail of that run, as the link opens it.
  await link.click();
  await page.waitForURL(/\/executions\/[0-9a-f-]+$/);
  await page.getByRole('heading', { name: 'Timeline' }).waitFor();
  await page.getByTestId(`node-unreached-${right}`).waitFor();
  await shot(page, 'execution-detail');
  await axe(page, 'execution detail');
  const badge = (testId) => page.getByTestId(testId).locator('[data-status]').first().getAttribute('data-status');
  is(await badge(`node-log-${left}`), 'success', 'the detail: the branch taken ran');
  is(await badge(`node-log-${sw}`), 'success', 'the detail: the switch ran');
  is(await page.getByTestId(`node-log-${right}`).count(), 0, 'the detail: no run of the branch not taken');
  ok(/not reached/i.test(await page.getByTestId(`node-unreached-${right}`).innerText()), 'the detail: the branch not taken is listed as not reached');
  is(await badge(`node-trigger-${trig}`), 'success', 'the detail: the trigger is marked as having started the run');
  ok((await page.getByTestId('started-by').innerText()).includes(trig), 'the detail: started by the trigger');
  const bars = await page.getByTestId('timeline').locator('.timeline-row code').allInnerTexts();
  is([...new Set(bars)].sort().join(','), [sw, left].sort().join(','), 'the timeline: a bar for each node that ran, none for the others');
  is(await page.getByTestId('timeline').locator('.timeline-bar').count(), bars.length, 'each timeline row has its bar');
  await page.getByTestId('timeline').locator(`.timeline-bar[aria-label^="${left}:"]`).click();
  ok(await page.getByTestId(`node-log-${left}`).evaluate((d) => d.open), 'a bar opens its node\'s input and output');
  await shot(page, 'execution-detail-node');
});
