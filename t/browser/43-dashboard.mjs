// The workflows dashboard: counts, search, import of a pasted document
// naming a credential the user lacks (the page lists it), export as a
// file, delete after a confirmation, create and open.
import fs from 'node:fs';
import { api, axe, createWorkflow, is, like, scenario, setupAdmin, shot, signIn } from './lib.mjs';

const DOC = {
  format: 'pipelit-workflow',
  version: 2,
  workflow: { name: 'Imported helper', slug: 'imported-helper' },
  nodes: [
    { node_id: 'chat', component_type: 'trigger_chat' },
    { node_id: 'agent', component_type: 'agent', config: { system_prompt: 'Help.' } },
    { node_id: 'model', component_type: 'ai_model', config: { model_name: 'gpt-4o-mini', llm_credential: { credential_type: 'llm', name: 'team-openai' } } },
  ],
  edges: [
    { source_node_id: 'chat', target_node_id: 'agent' },
    { source_node_id: 'model', target_node_id: 'agent', edge_label: 'llm' },
  ],
};

scenario(async ({ page }) => {
  const key = await setupAdmin();
  await createWorkflow(key, {
    name: 'Alpha',
    slug: 'alpha',
    nodes: [
      { node_id: 'start', component_type: 'trigger_manual' },
      { node_id: 'say', component_type: 'reply_chat', config: { extra_config: { message: 'hi' } } },
    ],
    edges: [{ source_node_id: 'start', target_node_id: 'say' }],
  });
  await createWorkflow(key, { name: 'Beta', slug: 'beta' });

  await signIn(page, key, '/');
  const alpha = page.getByTestId('workflow-alpha');
  await alpha.waitFor();
  is((await alpha.locator('td').allTextContents()).slice(1, 4).join(' '), '2 1 1', 'a row shows nodes, edges and triggers');
  await shot(page, 'list');
  await axe(page, 'dashboard');

  await page.getByLabel('Search workflows').fill('bet');
  await page.getByTestId('workflow-alpha').waitFor({ state: 'detached' });
  is(await page.getByTestId('workflow-beta').count(), 1, 'search keeps the matching workflow only');
  await page.getByLabel('Search workflows').fill('');

  await page.getByRole('button', { name: 'Import', exact: true }).first().click();
  const form = page.getByRole('form', { name: 'Import a workflow' });
  await form.getByLabel('Or paste the document').fill(JSON.stringify(DOC));
  await form.getByRole('button', { name: 'Import' }).click();
  const unresolved = form.getByTestId('unresolved-credentials');
  await unresolved.waitFor();
  like(await unresolved.textContent(), /model.*llm_credential_id.*llm named “team-openai”/, 'the import names the credential it could not resolve');
  await page.getByTestId('workflow-imported-helper').waitFor();
  await shot(page, 'imported');
  await form.getByLabel('Or paste the document').fill('{ not json');
  await form.getByRole('button', { name: 'Import' }).click();
  await form.getByText(/This is not a JSON document/).waitFor();
  is((await api('GET', '/workflows/', { key })).body?.total, 3, 'text that is not JSON is refused in the page: nothing more is imported');
  await form.getByRole('button', { name: 'Close' }).click();

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Alpha' }).click()]);
  is(download.suggestedFilename(), 'alpha.json', 'export downloads <slug>.json');
  const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  is(`${exported.format} ${exported.nodes.length} ${exported.edges.length}`, 'pipelit-workflow 2 1', 'the file is the workflow document');

  await page.getByRole('button', { name: 'Delete Beta' }).click();
  await shot(page, 'delete-asks');
  await page.getByRole('button', { name: 'Yes, delete Beta' }).click();
  await page.getByTestId('workflow-beta').waitFor({ state: 'detached' });
  is((await api('GET', '/workflows/beta/', { key })).status, 404, 'confirmed, the workflow is deleted');

  await page.getByRole('button', { name: 'New workflow' }).click();
  await page.getByLabel('Name').fill('Gamma ray');
  await page.getByRole('button', { name: 'Create and open' }).click();
  await page.waitForURL('**/workflows/gamma-ray');
  is((await api('GET', '/workflows/gamma-ray/', { key })).body?.name, 'Gamma ray', 'create makes the workflow and opens its editor');
  await shot(page, 'created');
});
