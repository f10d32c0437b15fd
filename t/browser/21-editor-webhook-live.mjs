// A webhook trigger's run shows live in an open editor: the editor shows the
// webhook's URL with a copy button; curl posts to that URL from outside the
// browser, and the badges of the nodes follow the run the request started
// (the editor shows the latest run, wherever it was started). Then Validate
// on another workflow lists its problem and marks the node it names, and
// that workflow's chat trigger gives the editor a Chat button.
import { spawnSync } from 'node:child_process';
import { axe, base, createWorkflow, is, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

scenario(async ({ page, context }) => {
  const key = await setupAdmin();
  const path = `editor/${Date.now()}`;
  const wf = await createWorkflow(key, {
    name: 'Hook',
    nodes: [
      { node_id: 'hook', component_type: 'trigger_webhook', config: { extra_config: { path } }, position_x: 0, position_y: 0 },
      { node_id: 'pause', component_type: 'wait', config: { extra_config: { duration: 1 } }, position_x: 260, position_y: 0 },
      { node_id: 'check', component_type: 'switch', config: { extra_config: { rules: [{ id: 'yes', field: 'trigger.body.ok', operator: 'is_true', value: '' }] } }, position_x: 520, position_y: 0 },
    ],
    edges: [
      { source_node_id: 'hook', target_node_id: 'pause' },
      { source_node_id: 'pause', target_node_id: 'check' },
    ],
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, key, `/workflows/${wf.slug}`);
  await page.locator('[data-testid="canvas"][data-ready="true"]').waitFor();
  await page.locator('[data-live="live"]').waitFor();

  const urlField = page.getByLabel('Webhook URL').first();
  const url = await urlField.inputValue();
  ok(url.endsWith(`/api/v1/webhooks/${path}`), 'the editor shows the webhook URL', url);
  await page.getByRole('button', { name: 'Copy the webhook URL' }).first().click();
  await page.getByRole('status').filter({ hasText: 'Copied' }).first().waitFor();
  is(await page.evaluate(() => navigator.clipboard.readText()), url, 'the copy button puts the URL on the clipboard');
  is(await page.getByTestId('status-check').getAttribute('data-status'), 'pending', 'before any run, the nodes are not reached');
  await shot(page, 'before');
  await axe(page, 'editor with a webhook');

  // From outside the browser, as a sender would.
  const res = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', 'Content-Type: application/json', '-d', '{"ok": true}', url], { encoding: 'utf8' });
  is(res.stdout, '202', 'curl delivers to the webhook (202)');

  await page.locator('[data-testid="status-pause"][data-status="success"]').waitFor();
  await shot(page, 'running');
  await page.locator('[data-testid="status-check"][data-status="success"]').waitFor();
  await page.locator('[data-testid="execution-status"][data-status="completed"]').waitFor();
  ok(true, 'the run curl started shows live, to its end');
  await shot(page, 'done');

  // The switch's output in its panel: the route the body chose.
  await page.locator('.react-flow__node[data-id="check"]').click();
  const out = page.getByRole('complementary', { name: 'Settings of check' }).getByTestId('run-output');
  await out.waitFor();
  ok(/"route": "yes"/.test(await out.innerText()), 'the panel shows the route taken', await out.innerText());
  await shot(page, 'output');

  // Expressions: inside {{ the field offers the upstream nodes, then their ports.
  const field = page.getByRole('complementary', { name: 'Settings of check' }).getByRole('group', { name: 'Rules 1' }).getByRole('combobox', { name: 'Value' });
  await field.fill('');
  await field.pressSequentially('{{ pa');
  const options = page.getByRole('listbox', { name: 'Completions' }).getByRole('option');
  await options.first().waitFor();
  is((await options.allInnerTexts()).map((t) => t.split(/\s/)[0]).join(','), 'pause', 'typing {{ pa offers the upstream node pause');
  await field.press('Enter');
  await field.pressSequentially('.');
  await page.getByRole('option', { name: /pause\.output/ }).waitFor();
  await field.press('Enter');
  is(await field.inputValue(), '{{ pause.output }}', 'choosing a port writes the whole expression');
  await shot(page, 'completion');

  // Validate: an agent without a model is a problem, and the node is marked.
  const lone = await createWorkflow(key, {
    name: 'Lone agent',
    nodes: [
      { node_id: 'talk', component_type: 'trigger_chat', position_x: 0, position_y: 0 },
      { node_id: 'helper', component_type: 'agent', position_x: 260, position_y: 0 },
    ],
  });
  await page.goto(`${base}/workflows/${lone.slug}`);
  await page.locator('[data-testid="canvas"][data-ready="true"]').waitFor();
  await page.getByRole('button', { name: 'Validate', exact: true }).click();
  const report = page.getByRole('region', { name: 'Validation' });
  await report.waitFor();
  ok(/helper/.test(await report.innerText()), 'the problems are listed', await report.innerText());
  await page.getByTestId('problem-helper').waitFor();
  ok(true, 'the node the problem names is marked');
  await shot(page, 'validated');

  // A workflow with a chat trigger has a Chat button: the chat panel opens and closes.
  await page.getByRole('button', { name: 'Chat', exact: true }).click();
  const chat = page.getByRole('complementary', { name: 'Chat' });
  await chat.waitFor();
  await shot(page, 'chat-open');
  await chat.getByRole('button', { name: 'Close the chat' }).click();
  await chat.waitFor({ state: 'detached' });
  ok(true, 'the chat panel opens from the editor and closes');
});
