// The timeline of an execution: a bar per node log row, placed by when the
// node started (the row's timestamp is its run's start) and as long as it
// took. Pure, so it is unit-tested.
import type { ExecutionLog } from '../api/runs';

export interface TimelineBar {
  log: ExecutionLog;
  // Offsets from the execution's start, as fractions of the span (0..1).
  left: number;
  width: number;
  startMs: number; // from the first start
}

export interface Timeline {
  bars: TimelineBar[];
  spanMs: number;
}

// A bar never narrower than this share of the span, so a 0 ms node is seen.
const MIN_WIDTH = 0.004;

export function buildTimeline(logs: ExecutionLog[], executionStart?: string | null): Timeline {
  const rows = logs
    .map((log) => ({ log, start: Date.parse(log.timestamp), dur: Math.max(0, log.duration_ms || 0) }))
    .filter((r) => !Number.isNaN(r.start));
  if (rows.length === 0) return { bars: [], spanMs: 0 };
  const t0Exec = executionStart ? Date.parse(executionStart) : NaN;
  const firstLog = Math.min(...rows.map((r) => r.start));
  const t0 = Number.isNaN(t0Exec) ? firstLog : Math.min(t0Exec, firstLog);
  const end = Math.max(...rows.map((r) => r.start + r.dur));
  const spanMs = Math.max(1, end - t0);
  const bars = rows.map((r) => {
    const left = (r.start - t0) / spanMs;
    const width = Math.max(MIN_WIDTH, r.dur / spanMs);
    return { log: r.log, left: Math.min(left, 1 - MIN_WIDTH), width: Math.min(width, 1 - Math.min(left, 1 - MIN_WIDTH)), startMs: r.start - t0 };
  });
  return { bars, spanMs };
}
