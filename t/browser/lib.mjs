// lib.mjs: what a browser scenario imports (t/browser/README.md).
//
// t/browser/run.pl starts the stack (nginx serving the built UI in front of
// `pipelit serve` on SQLite) and runs the scenario with node; this module
// reads where everything is from the environment run.pl sets, drives
// Debian's chromium with playwright-core, prints TAP, keeps screenshots and
// runs axe-core.
//
//   import { scenario, ok, is, shot, axe, setupAdmin, signIn } from './lib.mjs';
//   scenario(async ({ page }) => {
//     const key = await setupAdmin();
//     await signIn(page, key, '/');
//     await shot(page, 'dashboard');
//     await axe(page, 'dashboard');
//     is(await page.title(), 'Pipelit', 'the title');
//   });
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
for (const v of ['PIPELIT_URL', 'PIPELIT_SRCDIR', 'PIPELIT_ARTIFACTS']) {
  if (!env[v]) {
    console.log(`1..0 # SKIP ${v} is not set: run this through t/browser/run.pl (make check)`);
    process.exit(0);
  }
}

// The site's base URL, e.g. http://127.0.0.1:41234 (no trailing slash).
export const base = env.PIPELIT_URL.replace(/\/$/, '');
// Where shot() writes: $(builddir)/t/browser/artifacts/<scenario>/.
export const artifacts = env.PIPELIT_ARTIFACTS;

// The UI's own node_modules (npm ci in www/) has playwright-core and axe-core.
const requireUi = createRequire(path.join(env.PIPELIT_SRCDIR, 'www', 'package.json'));
const { chromium } = requireUi('playwright-core');
const axeSource = fs.readFileSync(requireUi.resolve('axe-core/axe.min.js'), 'utf8');

// --- TAP ----------------------------------------------------------------------

let count = 0;
let failures = 0;

export function diag(...lines) {
  for (const l of lines) for (const s of String(l).split('\n')) console.log(`# ${s}`);
}

export function ok(cond, name, ...why) {
  count += 1;
  if (!cond) failures += 1;
  console.log(`${cond ? 'ok' : 'not ok'} ${count} - ${name}`);
  if (!cond && why.length) diag(...why);
  return !!cond;
}

export function is(got, want, name) {
  return ok(Object.is(got, want), name, `got:  ${JSON.stringify(got)}`, `want: ${JSON.stringify(want)}`);
}

export function like(got, re, name) {
  return ok(re.test(String(got)), name, `got:  ${JSON.stringify(got)}`, `want: ${re}`);
}

// The plan, once at the end; the exit status says whether anything failed.
export function done() {
  console.log(`1..${count}`);
  process.exitCode = failures ? 1 : 0;
}

// --- the browser ------------------------------------------------------------------

// Debian's chromium, headless, with nothing reaching out to the network
// (the machine's network is closed: see doc of the test machines).
export async function launch() {
  return chromium.launch({
    executablePath: env.PIPELIT_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Script errors and CSP refusals of every page, reported at the end.
const pageProblems = [];

export function watch(page) {
  page.on('pageerror', (e) => pageProblems.push(`uncaught in ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) pageProblems.push(`CSP: ${m.text()}`);
  });
}

// scenario(fn): a fresh browser (playwright launches it with an empty
// profile of its own) and page, fn({ page, context, browser }), then the
// closing checks and the plan.  A throw fails the scenario with a screenshot.
export async function scenario(fn) {
  let browser;
  try {
    browser = await launch();
  } catch (e) {
    ok(false, 'chromium starts', e.stack || String(e));
    done();
    return;
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // The machine is shared and slow: generous, but a missing element still fails.
  context.setDefaultTimeout(Number(env.PIPELIT_BROWSER_STEP_TIMEOUT || 20000));
  context.on('page', watch);
  const page = await context.newPage();
  try {
    await fn({ page, context, browser });
  } catch (e) {
    ok(false, 'the scenario ran to its end', e.stack || String(e), `at ${page.url()}`);
    await shot(page, 'failure').catch(() => {});
  }
  ok(pageProblems.length === 0, 'no script error or CSP refusal in any page', ...pageProblems);
  await browser.close().catch(() => {});
  done();
}

// --- artifacts --------------------------------------------------------------------------

let shots = 0;

// Saves a full-page PNG as <artifacts>/NN-name.png; returns its path.
export async function shot(page, name) {
  shots += 1;
  const file = path.join(artifacts, `${String(shots).padStart(2, '0')}-${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Runs axe-core on the page as it is now: one test point, failing on any
// serious or critical violation (the rest are listed as comments).  The
// full result goes to <artifacts>/axe-name.json.  axe is evaluated through
// the DevTools protocol, so the page's CSP (no inline script) is kept.
export async function axe(page, name) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const file = path.join(artifacts, `axe-${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result.violations, null, 2));
  const describe = (v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}x: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`;
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = result.violations.filter((v) => !bad.includes(v));
  const passed = ok(bad.length === 0, `axe: no serious or critical violation on ${name}`, ...bad.map(describe));
  if (minor.length) diag(`axe on ${name}, minor:`, ...minor.map(describe));
  return passed;
}

// --- the API ------------------------------------------------------------------------------

// api(method, path, { key, body, headers }) -> { status, body, headers }.
// path: '/workflows/' (under /api/v1) or a full path from '/'; body is sent
// as JSON; the answer's body is parsed JSON, or its text.
export async function api(method, p, { key, body, headers } = {}) {
  const url = base + (p.startsWith('/api/') || p === '/health' ? p : `/api/v1${p}`);
  const h = { Accept: 'application/json', ...(headers || {}) };
  if (key) h.Authorization = `Bearer ${key}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: the text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

// api() that must answer 2xx: returns the body, throws with the answer otherwise.
export async function call(method, p, opts = {}) {
  const r = await api(method, p, opts);
  if (r.status < 200 || r.status > 299) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// The first admin (POST /auth/setup/); returns their session key.
export const ADMIN = { username: 'admin', password: 'correct-horse-battery' };
export async function setupAdmin(user = ADMIN) {
  return (await call('POST', '/auth/setup/', { body: user })).key;
}

// A session key for a user with a password (no MFA).
export async function logIn(username, password) {
  return (await call('POST', '/auth/token/', { body: { username, password } })).key;
}

// Another user (role 'normal' or 'admin'), made by an admin; returns their session key.
export async function createUser(adminKey, { username, password = 'correct-horse-battery', role = 'normal' }) {
  await call('POST', '/users/', { key: adminKey, body: { username, password, role } });
  return logIn(username, password);
}

// A named API key of the key's user ({ id, key, ... }).
export async function createApiKey(key, name = 'browser-test') {
  return call('POST', '/users/me/keys', { key, body: { name } });
}

// A workflow: { name, slug? } alone (POST /workflows/), or with nodes and
// edges (an import document, version 2); returns the workflow's detail.
export async function createWorkflow(key, { nodes, edges, ...workflow }) {
  if (!nodes) return call('POST', '/workflows/', { key, body: workflow });
  const out = await call('POST', '/workflows/import/', {
    key,
    body: { format: 'pipelit-workflow', version: 2, workflow, nodes, edges: edges || [] },
  });
  return out.workflow ?? out;
}

// The CLI with the stack's settings: cli('user', 'list') -> { status, output }.
export function cli(...args) {
  const r = spawnSync(env.PIPELIT_BIN, args, { cwd: env.PIPELIT_STACK_DIR, encoding: 'utf8', input: '' });
  return { status: r.status, output: (r.stdout || '') + (r.stderr || '') };
}

// --- the browser's session ------------------------------------------------------------------

// Signs the page in with a key (as the login page would store it) and opens path.
export async function signIn(page, key, p = '/') {
  await page.goto(`${base}/login`);
  await page.evaluate((k) => localStorage.setItem('pipelit.key', k), key);
  await page.goto(base + p);
}

// The key the page is signed in with, or null.
export async function pageKey(page) {
  return page.evaluate(() => localStorage.getItem('pipelit.key'));
}

// Fills the login form and submits it (the page must show it).
export async function fillLogin(page, username, password) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

// --- the LLM double (a scenario with a line `// uses: llm`) ------------------------------------

// llm.url('/v1') is the base URL of an openai_compatible credential;
// llm.script([...rules]) sets its answers (t/lib/FakeLLM.pm describes the
// rules); llm.requests() lists what it was asked.  null without the line.
export const llm = env.PIPELIT_LLM_URL
  ? {
      url: (p = '') => env.PIPELIT_LLM_URL + p,
      script(rules) {
        const r = spawnSync('perl', [`-I${env.PIPELIT_SRCDIR}/t/lib`, '-MFakeLLM', '-MJSON::PP', '-e',
          'my $r = decode_json(join "", <STDIN>); FakeLLM::locked_state($ARGV[0], sub { $_[0]{script} = $r; $_[0]{hits} = {}; $_[0]{n} = 0 })',
          env.PIPELIT_LLM_DIR], { input: JSON.stringify(rules), encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`llm.script: ${r.stderr}`);
      },
      requests() {
        const text = fs.readFileSync(path.join(env.PIPELIT_LLM_DIR, 'log.jsonl'), 'utf8');
        return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
      },
    }
  : null;
