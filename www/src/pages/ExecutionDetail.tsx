// One execution: status, timings, a timeline of its nodes, each node's
// input, output and error, tokens and cost, what started it and what it
// answered; cancel, re-run, and the answer to a waiting confirmation.
// While it runs, its live events reload it from the API.
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { get, post } from '../api/client';
import {
  elapsedMs,
  executionKey,
  executionsKey,
  formatDuration,
  formatUsd,
  isFinished,
  useExecution,
  type ChatStarted,
  type Execution,
  type ExecutionDetail as Detail,
  type ExecutionLog,
  type ExecutionStarted,
  type WorkflowWithNodes,
} from '../api/runs';
import { subscribe, type LiveState } from '../events/live';
import { ErrorNote, Loading, Page, formatDate } from '../ui/kit';
import { StatusBadge, nodeStatus } from '../runs/StatusBadge';
import { Timeline } from '../runs/Timeline';
import { JsonBlock } from '../runs/JsonBlock';
import { notReached } from '../runs/reached';
import { STATUS_TEXT, triggerBadge } from '../editor/runStatus';
import '../runs/runs.css';

interface Waiting {
  node_id?: string;
  prompt?: string;
}

export default function ExecutionDetail() {
  const { id = '' } = useParams();
  const qc = useQueryClient();
  const exec = useExecution(id);
  const [live, setLive] = useState<LiveState | null>(null);
  const [waiting, setWaiting] = useState<Waiting | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const finished = exec.data ? isFinished(exec.data.status) : false;
  // The workflow's nodes, to say which ones this run did not reach (as the
  // workflow is now: a node added or removed since the run shows so).
  const slug = exec.data?.workflow_slug;
  const graph = useQuery({
    queryKey: ['workflow-graph', slug],
    queryFn: ({ signal }) => get<{ nodes: { node_id: string }[]; edges: { source_node_id: string; edge_label: string }[] }>(`/workflows/${encodeURIComponent(slug!)}/`, signal),
    enabled: !!slug,
    retry: false,
  });
  const seqRef = useRef<{ known(id: string, seq: number): void } | null>(null);

  // Live while in flight: every event (or a missed one) reloads from the
  // API, a little debounced so a burst of events is one reload.
  useEffect(() => {
    if (!exec.data || finished) return;
    let timer: number | undefined;
    const reload = () => {
      if (timer !== undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        void qc.invalidateQueries({ queryKey: executionKey(id) });
      }, 150);
    };
    const sub = subscribe(`execution:${id}`, {
      onEvent: (e) => {
        if (e.type === 'execution_interrupted') setWaiting({ node_id: e.data?.node_id as string, prompt: e.data?.prompt as string });
        if (e.type === 'chat_delta') return; // progress of a node; its result comes with node_status
        reload();
      },
      onResync: reload,
      onState: setLive,
    });
    seqRef.current = sub.seq;
    return () => {
      if (timer !== undefined) window.clearTimeout(timer);
      seqRef.current = null;
      sub.close();
      setLive(null);
    };
    // Once per execution while it is in flight, not on every reload.
  }, [id, finished, !!exec.data]);

  // What a reload showed needs no replay.
  useEffect(() => {
    if (exec.data) seqRef.current?.known(id, exec.data.event_seq);
  }, [exec.data, id]);

  if (exec.isLoading) return <Page title="Execution"><Loading what="Loading the execution" /></Page>;
  if (!exec.data) {
    return (
      <Page title="Execution">
        <ErrorNote error={exec.error} />
        <p>
          <Link to="/executions">All executions</Link>
        </p>
      </Page>
    );
  }
  const e = exec.data;
  const took = elapsedMs(e.started_at, e.completed_at);
  const trigger = triggerBadge(e);
  const triggerLogged = e.logs.some((l) => l.node_id === e.trigger_node_id);
  const unreached = graph.data && finished ? notReached(graph.data.nodes, graph.data.edges, e.logs, e.trigger_node_id) : [];
  return (
    <Page title={`Execution ${e.execution_id.slice(0, 8)}`} actions={<Actions e={e} />}>
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={e.status} />
            {live && !finished && (
              <span className="muted small live-state" data-testid="live-state">
                {' '}
                {live === 'live' ? 'live' : live === 'polling' ? 'checking every few seconds' : 'connecting'}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Workflow</dt>
          <dd>
            <Link to={`/workflows/${encodeURIComponent(e.workflow_slug)}`}>{e.workflow_slug}</Link>
          </dd>
        </div>
        <div>
          <dt>Started by</dt>
          <dd data-testid="started-by">
            {e.trigger_node_id && trigger ? (
              <>
                <code>{e.trigger_node_id}</code> <StatusBadge status={trigger} label={trigger === 'failed' ? 'failed' : 'fired'} />
              </>
            ) : (
              '—'
            )}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatDate(e.started_at)}</dd>
        </div>
        <div>
          <dt>Ended</dt>
          <dd>{formatDate(e.completed_at)}</dd>
        </div>
        <div>
          <dt>Took</dt>
          <dd>{formatDuration(took)}</dd>
        </div>
        <div>
          <dt>LLM calls</dt>
          <dd>{e.llm_calls}</dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd data-testid="tokens">{e.total_tokens.toLocaleString()}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd data-testid="cost">{formatUsd(e.total_cost_usd)}</dd>
        </div>
        <div>
          <dt>Workflow's use that day</dt>
          <dd>
            {e.budget_used.max_tokens_per_day.toLocaleString()} tokens, {formatUsd(e.budget_used.max_usd_per_day)}
          </dd>
        </div>
        <div className="full">
          <dt>Execution id</dt>
          <dd>
            <code>{e.execution_id}</code>
          </dd>
        </div>
      </dl>

      {e.error_message && (
        <p className="error" role="alert">
          {e.error_message}
        </p>
      )}

      {e.status === 'interrupted' && <Confirmation e={e} waiting={waiting} />}

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        {e.logs.length === 0 ? (
          <p className="muted">No node has run yet.</p>
        ) : (
          <Timeline logs={e.logs} startedAt={e.started_at} selected={open} onSelect={(i) => setOpen(i === open ? null : i)} />
        )}
      </section>

      <section aria-labelledby="nodes-title">
        <h2 id="nodes-title">Nodes</h2>
        {e.logs.length === 0 && !e.trigger_node_id && <p className="muted">Nothing yet.</p>}
        <ol className="node-logs">
          {e.trigger_node_id && trigger && !triggerLogged && (
            <li className="node-trigger" data-testid={`node-trigger-${e.trigger_node_id}`}>
              <code>{e.trigger_node_id}</code> <StatusBadge status={trigger} label={trigger === 'failed' ? 'failed' : 'fired'} />{' '}
              <span className="muted small">the trigger that started this run; a trigger has no run of its own</span>
            </li>
          )}
          {e.logs.map((l, i) => (
            <NodeLog key={l.id} log={l} open={open === i} onToggle={(o) => setOpen(o ? i : open === i ? null : open)} />
          ))}
        </ol>
        {unreached.length > 0 && (
          <>
            <h3 id="unreached-title">Not reached</h3>
            <ul className="node-unreached" aria-labelledby="unreached-title" data-testid="not-reached">
              {unreached.map((n) => (
                <li key={n} data-testid={`node-unreached-${n}`}>
                  <code>{n}</code> <StatusBadge status="pending" label={STATUS_TEXT.pending.toLowerCase()} />
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section aria-labelledby="payload-title">
        <h2 id="payload-title">Trigger payload</h2>
        <JsonBlock value={e.trigger_payload} label="Trigger payload" />
      </section>
      <section aria-labelledby="output-title">
        <h2 id="output-title">Final output</h2>
        {e.final_output === null && !finished ? <p className="muted">Not finished yet.</p> : <JsonBlock value={e.final_output} label="Final output" testId="final-output" />}
      </section>
    </Page>
  );
}

function NodeLog({ log, open, onToggle }: { log: ExecutionLog; open: boolean; onToggle: (open: boolean) => void }) {
  const ref = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    if (open && ref.current) ref.current.scrollIntoView({ block: 'nearest' });
  }, [open]);
  return (
    <li>
      <details ref={ref} open={open} onToggle={(ev) => onToggle((ev.target as HTMLDetailsElement).open)} data-testid={`node-log-${log.node_id}`}>
        <summary>
          <code>{log.node_id}</code> <StatusBadge status={nodeStatus(log.status)} label={log.status} /> <span className="muted small">{formatDuration(log.duration_ms)}</span>
          {log.attempt > 1 && <span className="muted small"> · attempt {log.attempt}</span>}
          {log.error_code && <span className="error-text small"> · {log.error_code}</span>}
        </summary>
        <div className="node-log-body">
          <p className="muted small">Started {formatDate(log.timestamp)}</p>
          {log.error && (
            <>
              <h3>Error</h3>
              <p className="error">{log.error}</p>
            </>
          )}
          <h3>Input</h3>
          <JsonBlock value={log.input} label={`Input of ${log.node_id}`} />
          <h3>Output</h3>
          <JsonBlock value={log.output} label={`Output of ${log.node_id}`} />
          {log.metadata && Object.keys(log.metadata).length > 0 && (
            <>
              <h3>Usage and details</h3>
              <JsonBlock value={log.metadata} label={`Details of ${log.node_id}`} />
            </>
          )}
        </div>
      </details>
    </li>
  );
}

function Confirmation({ e, waiting: live }: { e: Detail; waiting: Waiting | null }) {
  const qc = useQueryClient();
  const waiting: Waiting | null = e.confirmation ?? live;
  const answer = useMutation({
    mutationFn: (action: 'confirm' | 'cancel') => post<Execution>(`/executions/${e.execution_id}/confirm/`, { action }),
    onSettled: () => qc.invalidateQueries({ queryKey: executionsKey }),
  });
  return (
    <section className="card confirm-box" aria-labelledby="confirm-title" data-testid="confirmation">
      <h2 id="confirm-title">Waiting for a confirmation</h2>
      <p>
        {waiting?.prompt ?? 'This execution stopped before a step that needs someone to approve it.'}
        {waiting?.node_id && (
          <>
            {' '}
            (node <code>{waiting.node_id}</code>)
          </>
        )}
      </p>
      {e.confirmation?.expires_at && <p className="muted small">The question expires {formatDate(e.confirmation.expires_at)}.</p>}
      <div className="buttons">
        <button type="button" className="primary" onClick={() => answer.mutate('confirm')} disabled={answer.isPending}>
          Approve
        </button>
        <button type="button" className="danger" onClick={() => answer.mutate('cancel')} disabled={answer.isPending}>
          Refuse and cancel
        </button>
      </div>
      <ErrorNote error={answer.error} />
    </section>
  );
}

// The text to run again with: the payload's text, else the payload itself.
function payloadText(p: unknown): string {
  if (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string') return (p as { text: string }).text;
  if (p === null || p === undefined) return '';
  return typeof p === 'string' ? p : JSON.stringify(p);
}

// Runs the workflow again with the same text, from the trigger that
// started this execution when it is a manual or chat trigger, else from
// the workflow's manual trigger, else from its chat trigger.
async function rerun(e: Detail): Promise<string> {
  const text = payloadText(e.trigger_payload);
  const slug = encodeURIComponent(e.workflow_slug);
  let trigger: { node_id: string; component_type: string } | undefined;
  try {
    const wf = await get<WorkflowWithNodes>(`/workflows/${slug}/`);
    const triggers = wf.nodes.filter((n) => n.component_type === 'trigger_manual' || n.component_type === 'trigger_chat');
    trigger =
      triggers.find((n) => n.node_id === e.trigger_node_id) ??
      triggers.find((n) => n.component_type === 'trigger_manual') ??
      triggers[0];
  } catch {
    /* the workflow's own choice of manual trigger then */
  }
  if (trigger?.component_type === 'trigger_chat') {
    const r = await post<ChatStarted>(`/workflows/${slug}/chat/`, { text, trigger_node_id: trigger.node_id });
    return r.execution_id;
  }
  const r = await post<ExecutionStarted>(`/workflows/${slug}/execute/`, trigger ? { text, trigger_node_id: trigger.node_id } : { text });
  return r.execution_id;
}

function Actions({ e }: { e: Detail }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const cancel = useMutation({
    mutationFn: () => post<Execution>(`/executions/${e.execution_id}/cancel/`),
    onSettled: () => qc.invalidateQueries({ queryKey: executionsKey }),
  });
  const again = useMutation({
    mutationFn: () => rerun(e),
    onSuccess: (newId) => {
      void qc.invalidateQueries({ queryKey: executionsKey });
      navigate(`/executions/${newId}`);
    },
  });
  return (
    <>
      {!isFinished(e.status) && (
        <button type="button" className="danger" onClick={() => cancel.mutate()} disabled={cancel.isPending}>
          Cancel execution
        </button>
      )}
      <button type="button" onClick={() => again.mutate()} disabled={again.isPending} title="Run the workflow again with this execution's input">
        Re-run with the same input
      </button>
      <Link to={`/executions?workflow=${encodeURIComponent(e.workflow_slug)}`}>Executions of this workflow</Link>
      <ErrorNote error={cancel.error ?? again.error} />
    </>
  );
}
