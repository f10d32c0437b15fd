// Executions: the list, filtered by workflow and status and paged, and
// the charts of executions, failures and cost per day.
import { lazy, Suspense, useEffect } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import {
  EXECUTION_STATUSES,
  elapsedMs,
  executionsKey,
  formatDuration,
  formatUsd,
  isFinished,
  useExecutions,
  useWorkflows,
} from '../api/runs';
import { ErrorNote, Field, Loading, Page, formatDate } from '../ui/kit';
import { StatusBadge } from '../runs/StatusBadge';
import '../runs/runs.css';

// uPlot and the charts load only when this page shows them.
const RunCharts = lazy(() => import('../runs/RunCharts'));

const PAGE_SIZES = [25, 50, 100];

export default function Executions() {
  const [params, setParams] = useSearchParams();
  const workflow = params.get('workflow') ?? '';
  const status = params.get('status') ?? '';
  const limit = PAGE_SIZES.includes(Number(params.get('size'))) ? Number(params.get('size')) : 25;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const offset = (page - 1) * limit;
  const qc = useQueryClient();

  const workflows = useWorkflows();
  const list = useExecutions({ workflow_slug: workflow || undefined, status: status || undefined, limit, offset });
  const inFlight = (list.data?.items ?? []).some((e) => !isFinished(e.status));

  // While something runs, look again now and then.
  useEffect(() => {
    if (!inFlight) return;
    const t = window.setInterval(() => void qc.invalidateQueries({ queryKey: [...executionsKey, 'list'] }), 4000);
    return () => window.clearInterval(t);
  }, [inFlight, qc]);

  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  };

  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / limit));

  return (
    <Page
      title="Executions"
      actions={
        <button type="button" onClick={() => void qc.invalidateQueries({ queryKey: executionsKey })}>
          Refresh
        </button>
      }
    >
      <div className="toolbar" role="search" aria-label="Filter executions">
        <Field label="Workflow">
          {(id) => (
            <select id={id} value={workflow} onChange={(e) => set({ workflow: e.target.value, page: '' })}>
              <option value="">All workflows</option>
              {(workflows.data ?? []).map((w) => (
                <option key={w.slug} value={w.slug}>
                  {w.name} ({w.slug})
                </option>
              ))}
              {workflow && !(workflows.data ?? []).some((w) => w.slug === workflow) && <option value={workflow}>{workflow}</option>}
            </select>
          )}
        </Field>
        <Field label="Status">
          {(id) => (
            <select id={id} value={status} onChange={(e) => set({ status: e.target.value, page: '' })}>
              <option value="">Any status</option>
              {EXECUTION_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Per page">
          {(id) => (
            <select id={id} value={limit} onChange={(e) => set({ size: e.target.value, page: '' })}>
              {PAGE_SIZES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>

      {list.isLoading && <Loading what="Loading executions" />}
      <ErrorNote error={list.error} />
      {list.data && (
        <>
          <table className="executions">
            <caption className="sr-only">Executions</caption>
            <thead>
              <tr>
                <th scope="col">Execution</th>
                <th scope="col">Workflow</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
                <th scope="col">Tokens</th>
                <th scope="col">Cost</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((e) => (
                <tr key={e.execution_id}>
                  <td>
                    <Link to={`/executions/${e.execution_id}`}>
                      <code>{e.execution_id.slice(0, 8)}</code>
                      <span className="sr-only"> (execution {e.execution_id})</span>
                    </Link>
                  </td>
                  <td>{e.workflow_slug}</td>
                  <td>
                    <StatusBadge status={e.status} />
                    {e.error_message && <div className="small error-text">{e.error_message}</div>}
                  </td>
                  <td>{formatDate(e.started_at)}</td>
                  <td>{formatDuration(elapsedMs(e.started_at, e.completed_at))}</td>
                  <td>{e.total_tokens.toLocaleString()}</td>
                  <td>{formatUsd(e.total_cost_usd)}</td>
                </tr>
              ))}
              {list.data.items.length === 0 && (
                <tr>
                  <td colSpan={7} className="muted">
                    No executions{workflow || status ? ' match these filters' : ' yet'}.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
          <nav className="pager" aria-label="Pages of executions">
            <button type="button" disabled={page <= 1} onClick={() => set({ page: String(page - 1) })}>
              Previous page
            </button>
            <span aria-live="polite">
              Page {Math.min(page, pages)} of {pages} · {total} execution{total === 1 ? '' : 's'}
            </span>
            <button type="button" disabled={page >= pages} onClick={() => set({ page: String(page + 1) })}>
              Next page
            </button>
          </nav>
        </>
      )}

      <section className="charts-section" aria-labelledby="charts-title">
        <h2 id="charts-title">Activity per day</h2>
        <Suspense fallback={<Loading what="Loading the charts" />}>
          <RunCharts workflow={workflow || undefined} />
        </Suspense>
      </section>
    </Page>
  );
}
