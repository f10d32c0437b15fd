// The statistics answer as chart columns: one x value per UTC day of the
// window (days without executions count 0) and one series per workflow,
// the busiest first; past `maxSeries` the rest are summed as "other".
import type { DayStats } from '../api/runs';

export type Measure = 'executions' | 'failed' | 'cost_usd' | 'tokens';

export interface ChartColumns {
  days: string[]; // YYYY-MM-DD
  x: number[]; // unix seconds of each day's UTC midnight
  series: { name: string; values: number[] }[];
}

export function dayRange(from: string, count: number): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(new Date(start + i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

export function toColumns(items: DayStats[], from: string, dayCount: number, measure: Measure, maxSeries = 6): ChartColumns {
  const days = dayRange(from, dayCount);
  const index = new Map(days.map((d, i) => [d, i]));
  const byWorkflow = new Map<string, number[]>();
  for (const it of items) {
    const i = index.get(it.day);
    if (i === undefined) continue;
    let vals = byWorkflow.get(it.workflow_slug);
    if (!vals) byWorkflow.set(it.workflow_slug, (vals = new Array(days.length).fill(0)));
    vals[i] += Number(it[measure]) || 0;
  }
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  const ranked = [...byWorkflow.entries()].sort((a, b) => sum(b[1]) - sum(a[1]) || a[0].localeCompare(b[0]));
  const series = ranked.slice(0, maxSeries).map(([name, values]) => ({ name, values }));
  if (ranked.length > maxSeries) {
    const other = new Array(days.length).fill(0);
    for (const [, v] of ranked.slice(maxSeries)) v.forEach((n, i) => (other[i] += n));
    series.push({ name: 'other workflows', values: other });
  }
  return { days, x: days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000), series };
}
