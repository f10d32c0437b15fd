// Executions, failures and cost per day per workflow, drawn with uPlot,
// and budgets with what today used of them. Loaded on demand (the
// executions page imports it lazily), so uPlot is not in other pages.
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatUsd, useExecutionStats, useWorkflows } from '../api/runs';
import { ErrorNote, Field, Loading } from '../ui/kit';
import { BudgetMeter } from './BudgetMeter';
import { toColumns, type ChartColumns, type Measure } from './stats';

// Distinguishable in light and dark themes alike.
const PALETTE = ['#3b7dd8', '#d9822b', '#2e9d5b', '#c2417a', '#8a63d2', '#1aa3a3', '#8c8c8c'];

const CHARTS: { measure: Measure; title: string; usd?: boolean }[] = [
  { measure: 'executions', title: 'Executions per day' },
  { measure: 'failed', title: 'Failures per day' },
  { measure: 'cost_usd', title: 'Cost per day (USD)', usd: true },
];

// An axis label: two significant digits are enough to read a scale.
function axisUsd(v: number): string {
  return v === 0 ? '$0' : v >= 1 ? `$${v.toFixed(2)}` : `$${Number(v.toPrecision(2))}`;
}

function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function Chart({ title, cols, usd }: { title: string; cols: ChartColumns; usd?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(600);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(280, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = box.current;
    if (!el || cols.series.length === 0) return;
    const text = themeColor('--muted', '#5a5f6b');
    const grid = themeColor('--border', '#d4d7de');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const fmt = (v: number | null) => (v === null ? '—' : usd ? formatUsd(v) : String(Math.round(v * 100) / 100));
    const plot = new uPlot(
      {
        width,
        height: 200,
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(usd ? 0.01 : 1, max * 1.1)] } },
        axes: [
          { ...axis, space: 60 },
          { ...axis, size: usd ? 64 : 50, values: (_u, vals) => vals.map((v) => (usd ? axisUsd(v) : String(v))) },
        ],
        series: [
          { label: 'Day', value: (_u, v) => (v === null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)) },
          ...cols.series.map((s, i) => ({
            label: s.name,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            points: { show: true, size: 5 },
            value: (_u: uPlot, v: number | null) => fmt(v),
          })),
        ],
        legend: { show: true },
      },
      [cols.x, ...cols.series.map((s) => s.values)],
      el,
    );
    return () => plot.destroy();
  }, [cols, width, usd]);

  const total = cols.series.reduce((a, s) => a + s.values.reduce((x, y) => x + y, 0), 0);
  return (
    <figure className="chart" aria-label={title}>
      <figcaption>
        {title}: {usd ? formatUsd(total) : total} in all
      </figcaption>
      {cols.series.length === 0 ? <p className="muted">Nothing in this period.</p> : <div ref={box} className="chart-box" aria-hidden="true" />}
      {cols.series.length > 0 && (
        <details>
          <summary>{title} as a table</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {cols.series.map((s) => (
                  <th key={s.name} scope="col">
                    {s.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {cols.days.map((d, i) =>
                cols.series.some((s) => s.values[i]) ? (
                  <tr key={d}>
                    <th scope="row">{d}</th>
                    {cols.series.map((s) => (
                      <td key={s.name}>{usd ? formatUsd(s.values[i]) : s.values[i]}</td>
                    ))}
                  </tr>
                ) : null,
              )}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}

export default function RunCharts({ workflow }: { workflow?: string }) {
  const [days, setDays] = useState(30);
  const stats = useExecutionStats(days, workflow);
  const workflows = useWorkflows();

  const columns = useMemo(
    () => (stats.data ? CHARTS.map((c) => ({ ...c, cols: toColumns(stats.data.items, stats.data.from, stats.data.days, c.measure) })) : []),
    [stats.data],
  );
  const budgeted = (workflows.data ?? []).filter(
    (w) => (!workflow || w.slug === workflow) && (w.budget.max_tokens_per_day !== null || w.budget.max_usd_per_day !== null),
  );

  return (
    <div className="run-charts">
      <div className="toolbar">
        <Field label="Period">
          {(id) => (
            <select id={id} value={days} onChange={(e) => setDays(Number(e.target.value))}>
              <option value={7}>Last 7 days</option>
              <option value={30}>Last 30 days</option>
              <option value={90}>Last 90 days</option>
            </select>
          )}
        </Field>
      </div>
      {stats.isLoading && <Loading what="Loading the statistics" />}
      <ErrorNote error={stats.error} />
      {columns.length > 0 && (
        <div className="chart-grid">
          {columns.map((c) => (
            <Chart key={c.measure} title={c.title} usd={c.usd} cols={c.cols} />
          ))}
        </div>
      )}
      <h3>Daily budgets</h3>
      {budgeted.length === 0 ? (
        <p className="muted">No workflow{workflow ? ' here' : ''} has a daily budget. Set one in the workflow's settings in the editor.</p>
      ) : (
        <ul className="budget-list">
          {budgeted.map((w) => (
            <li key={w.slug}>
              <strong>{w.name}</strong>{' '}
              <BudgetMeter label="Tokens today" used={w.budget_today.tokens} limit={w.budget.max_tokens_per_day} />{' '}
              <BudgetMeter label="Cost today" used={w.budget_today.usd} limit={w.budget.max_usd_per_day} usd />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
