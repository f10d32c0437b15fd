// bench/ui-trace.mjs: where the editor's first load of a 200-node, 250-edge
// workflow spends its time, from chromium's performance trace: the main
// thread's top-level tasks by kind (script, style, layout, paint, parse),
// summed from navigation until the canvas is interactive, and the requests
// on the way with when each started and ended. Run like a browser scenario:
//   PIPELIT_BIN=build/pipelit PIPELIT_SRCDIR=$PWD PIPELIT_WWW_DIR=build/www \
//     perl -It/lib t/browser/run.pl bench/ui-trace.mjs
// Prints a table; writes the raw trace as artifacts/ui-trace/trace.json.
import fs from 'node:fs';
import path from 'node:path';
import { artifacts, base, createWorkflow, launch, setupAdmin } from '../t/browser/lib.mjs';
import { bigWorkflow } from './ui-workflow.mjs';


// Trace event names grouped into what a reader of a profile calls them.
const KIND = {
  EvaluateScript: 'script', FunctionCall: 'script', 'v8.compile': 'compile', 'v8.compileModule': 'compile',
  'v8.evaluateModule': 'script', TimerFire: 'script', EventDispatch: 'script', FireAnimationFrame: 'script',
  RunMicrotasks: 'script', 'v8.callFunction': 'script',
  UpdateLayoutTree: 'style', RecalculateStyles: 'style', ParseAuthorStyleSheet: 'style',
  Layout: 'layout', UpdateLayerTree: 'paint', Paint: 'paint', PrePaint: 'paint', Layerize: 'paint', Commit: 'paint',
  ParseHTML: 'parse', GCEvent: 'gc', MinorGC: 'gc', MajorGC: 'gc', 'V8.GC_SCAVENGER': 'gc',
};

const browser = await launch();
try {
  const key = await setupAdmin();
  const wf = await createWorkflow(key, bigWorkflow('UI trace', 'ui-trace'));
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await ctx.addInitScript((k) => localStorage.setItem('pipelit.key', k), key);
  const page = await ctx.newPage();
  const reqs = [];
  page.on('requestfinished', async (r) => {
    const t = r.timing();
    reqs.push({ url: new URL(r.url()).pathname, start: t.startTime, end: t.responseEnd });
  });
  const file = path.join(artifacts, 'trace.json');
  await browser.startTracing(page, { path: file, categories: ['devtools.timeline', 'v8', 'blink.user_timing', 'disabled-by-default-devtools.timeline'] });
  await page.goto(`${base}/workflows/${wf.slug}`, { waitUntil: 'commit' });
  await page.locator('[data-testid="canvas"][data-ready="true"]').waitFor({ timeout: 60000 });
  const readyAt = await page.evaluate(() => performance.now());
  await browser.stopTracing();
  const events = JSON.parse(fs.readFileSync(file, 'utf8')).traceEvents ?? [];
  // The renderer's main thread: the one running ParseHTML of the page.
  const main = events.find((e) => e.name === 'ParseHTML' || e.name === 'EvaluateScript');
  const nav = events.find((e) => e.name === 'navigationStart' || e.name === 'NavigationStartToLoad') ?? main;
  const t0 = nav ? nav.ts : 0;
  const tEnd = t0 + readyAt * 1000;
  const sums = {};
  for (const e of events) {
    if (!main || e.pid !== main.pid || e.tid !== main.tid || e.ph !== 'X' || !KIND[e.name]) continue;
    if (e.ts < t0 || e.ts > tEnd) continue;
    sums[KIND[e.name]] = (sums[KIND[e.name]] ?? 0) + (e.dur ?? 0) / 1000;
  }
  console.log(`# ready (canvas data-ready) at ${readyAt.toFixed(0)} ms after navigation`);
  console.log('# main thread, summed by kind (nested events counted in each kind they belong to):');
  for (const [k, v] of Object.entries(sums).sort((a, b) => b[1] - a[1])) console.log(`#   ${k.padEnd(8)} ${v.toFixed(0)} ms`);
  const first = Math.min(...reqs.map((r) => r.start));
  console.log('# requests (start..end, ms from the first):');
  for (const r of reqs.sort((a, b) => a.start - b.start)) {
    console.log(`#   ${(r.start - first).toFixed(0).padStart(5)} .. ${(r.start - first + r.end).toFixed(0).padStart(5)}  ${r.url}`);
  }
  await ctx.close();
} finally {
  await browser.close();
}
console.log('1..0 # SKIP a measurement, not a test');
