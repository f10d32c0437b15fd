import { describe, expect, it } from 'vitest';
import { buildTimeline } from './timeline';
import type { ExecutionLog } from '../api/runs';

const log = (node_id: string, timestamp: string, duration_ms: number): ExecutionLog => ({
  id: 0, node_id, status: 'success', input: null, output: null, error: '', error_code: null,
  metadata: null, duration_ms, timestamp, attempt: 1,
});

describe('buildTimeline', () => {
  it('places each bar by start and scales it by duration', () => {
    const t = buildTimeline([
      log('a', '2026-01-01T00:00:00.000Z', 100),
      log('b', '2026-01-01T00:00:00.100Z', 300),
    ]);
    expect(t.spanMs).toBe(400);
    expect(t.bars[0].left).toBe(0);
    expect(t.bars[0].width).toBeCloseTo(0.25);
    expect(t.bars[1].left).toBeCloseTo(0.25);
    expect(t.bars[1].width).toBeCloseTo(0.75);
  });

  it('starts at the execution when it began before the first node', () => {
    const t = buildTimeline([log('a', '2026-01-01T00:00:01.000Z', 1000)], '2026-01-01T00:00:00.000Z');
    expect(t.spanMs).toBe(2000);
    expect(t.bars[0].left).toBeCloseTo(0.5);
    expect(t.bars[0].width).toBeCloseTo(0.5);
  });

  it('keeps an instant node visible and inside the track', () => {
    const t = buildTimeline([
      log('a', '2026-01-01T00:00:00.000Z', 1000),
      log('b', '2026-01-01T00:00:01.000Z', 0),
    ]);
    const b = t.bars[1];
    expect(b.width).toBeGreaterThan(0);
    expect(b.left + b.width).toBeLessThanOrEqual(1);
  });

  it('has no bars without logs', () => {
    expect(buildTimeline([]).bars).toEqual([]);
  });
});
