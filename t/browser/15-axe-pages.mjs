// axe-core on every page of the UI (the routes of www/src/app/App.tsx),
// signed in as an admin, with a workflow and an execution to show: no
// serious or critical violation anywhere, and each page's screenshot.
// The routes are read from App.tsx, so a new page is checked without
// touching this file.
import fs from 'node:fs';
import path from 'node:path';
import { axe, call, createWorkflow, diag, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

const app = fs.readFileSync(path.join(process.env.PIPELIT_SRCDIR, 'www/src/app/App.tsx'), 'utf8');
const routes = [...app.matchAll(/<Route\s+path="([^"*]+)"/g)].map((m) => m[1]);

scenario(async ({ page }) => {
  ok(routes.length >= 10, `App.tsx lists the pages (${routes.join(' ')})`);
  const key = await setupAdmin();
  const wf = await createWorkflow(key, {
    name: 'Axe check',
    slug: 'axe-check',
    nodes: [{ node_id: 'start', component_type: 'trigger_manual', is_entry_point: true }],
  });
  const run = await call('POST', `/workflows/${wf.slug}/execute/`, { key, body: { text: 'hello' } });
  const executionId = run.execution_id;
  if (!executionId) diag(`no execution id in ${JSON.stringify(run)}`);
  const fill = { slug: wf.slug, id: executionId };

  await signIn(page, key, '/');
  for (const route of routes) {
    if (route === '/setup') continue; // shown only before the first user: 10-login.mjs checks it
    const p = route.replace(/:(\w+)/g, (_, name) => encodeURIComponent(fill[name] ?? name));
    await page.goto(page.url().replace(/^(https?:\/\/[^/]+).*$/, '$1') + p);
    // Settled: the page's heading is up and no query is loading.
    await page.locator('h1').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('[role="status"]'), null, { timeout: 10000 }).catch(() => {});
    const name = p === '/' ? 'dashboard' : p.slice(1);
    await shot(page, name);
    await axe(page, name);
  }
});
