import { describe, expect, it } from 'vitest';
import { dayRange, toColumns } from './stats';
import type { DayStats } from '../api/runs';

const row = (day: string, workflow_slug: string, executions: number, failed = 0, cost_usd = 0): DayStats => ({
  day, workflow_slug, executions, failed, cost_usd, tokens: 0,
});

describe('stats columns', () => {
  it('lists every day of the window, across a month end', () => {
    expect(dayRange('2026-01-30', 4)).toEqual(['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02']);
  });

  it('fills days without executions with 0 and ranks the busiest first', () => {
    const c = toColumns([row('2026-01-01', 'a', 1), row('2026-01-03', 'b', 5), row('2026-01-02', 'a', 2)], '2026-01-01', 3, 'executions');
    expect(c.series.map((s) => s.name)).toEqual(['b', 'a']);
    expect(c.series[0].values).toEqual([0, 0, 5]);
    expect(c.series[1].values).toEqual([1, 2, 0]);
    expect(c.x[1] - c.x[0]).toBe(86400);
  });

  it('sums what is past the series cap as other workflows', () => {
    const items = ['a', 'b', 'c'].map((w, i) => row('2026-01-01', w, 3 - i, 0, 0.5));
    const c = toColumns(items, '2026-01-01', 1, 'cost_usd', 1);
    expect(c.series.map((s) => s.name)).toEqual(['a', 'other workflows']);
    expect(c.series[1].values).toEqual([1]);
  });

  it('leaves out days outside the window', () => {
    const c = toColumns([row('2025-12-31', 'a', 9)], '2026-01-01', 2, 'executions');
    expect(c.series).toEqual([]);
  });
});
