// The next times of a cron expression while it is typed: asked of the
// server (POST /schedules/preview/) once typing pauses, the older request
// cancelled, so what is shown always matches what is in the field.
import { useEffect, useState } from 'react';
import { ApiError } from '../api/client';
import { previewCron } from '../api/admin';

export interface CronPreview {
  runs: string[];
  problem: string | null;
  pending: boolean;
}

export function useCronPreview(cron: string, timezone: string, delayMs = 400): CronPreview {
  const [state, setState] = useState<CronPreview>({ runs: [], problem: null, pending: false });
  useEffect(() => {
    const expr = cron.trim();
    if (!expr) {
      setState({ runs: [], problem: null, pending: false });
      return;
    }
    setState((s) => ({ ...s, pending: true }));
    const ctl = new AbortController();
    const t = window.setTimeout(() => {
      previewCron(expr, timezone.trim(), ctl.signal)
        .then((p) => setState({ runs: p.next_runs, problem: null, pending: false }))
        .catch((e: unknown) => {
          if ((e as Error).name === 'AbortError') return;
          const msg = e instanceof ApiError ? Object.values(e.fieldProblems()).join('; ') || e.message : String(e);
          setState({ runs: [], problem: msg, pending: false });
        });
    }, delayMs);
    return () => {
      window.clearTimeout(t);
      ctl.abort();
    };
  }, [cron, timezone, delayMs]);
  return state;
}
