// The status badge of every node for the execution the editor shows, from
// two sources that must agree: the node logs of GET /executions/{id}/ and
// the node_status live events. A reload from REST knows the execution up to
// its event_seq; events after it are applied on top, so a reload racing an
// event never shows an older state. Pure, apart from the small store the
// node components subscribe to one by one.
import type { ExecutionDetail } from '../api/editor';

export type BadgeStatus = 'running' | 'success' | 'failed' | 'waiting' | 'pending';

export function badgeOf(status: string): BadgeStatus {
  switch (status) {
    case 'completed':
    case 'success':
      return 'success';
    case 'failed':
    case 'error':
      return 'failed';
    case 'running':
      return 'running';
    case 'waiting':
    case 'interrupted':
      return 'waiting';
    default:
      return 'pending';
  }
}

export interface StatusEvent {
  seq: number;
  node_id: string;
  status: string;
}

// The badge of the trigger node that started a run. The engine runs no
// trigger node, so no log or event names it: it fired, unless the run failed
// before any node ran (then it failed where it started). A log row naming
// it, should one exist, wins.
export function triggerBadge(detail: Pick<ExecutionDetail, 'status' | 'logs' | 'trigger_node_id'>): BadgeStatus | null {
  if (!detail.trigger_node_id) return null;
  const others = detail.logs.filter((l) => l.node_id !== detail.trigger_node_id);
  return detail.status === 'failed' && others.length === 0 ? 'failed' : 'success';
}

// Statuses after a REST load, with the events seen that are newer than it.
export function statusesOf(
  detail: Pick<ExecutionDetail, 'logs' | 'event_seq' | 'status' | 'trigger_node_id'> | null,
  events: StatusEvent[],
): Map<string, BadgeStatus> {
  const out = new Map<string, BadgeStatus>();
  const from = detail ? detail.event_seq : 0;
  const trigger = detail ? triggerBadge(detail) : null;
  if (detail?.trigger_node_id && trigger) out.set(detail.trigger_node_id, trigger);
  for (const l of detail?.logs ?? []) out.set(l.node_id, badgeOf(l.status));
  const newer = events.filter((e) => e.seq > from).sort((a, b) => a.seq - b.seq);
  for (const e of newer) out.set(e.node_id, badgeOf(e.status));
  return out;
}

export const STATUS_TEXT: Record<BadgeStatus, string> = {
  running: 'Running',
  success: 'Succeeded',
  failed: 'Failed',
  waiting: 'Waiting',
  pending: 'Not reached',
};

// Per-node subscriptions, so an event re-renders the one node it is about.
export class NodeFlags {
  private status = new Map<string, BadgeStatus>();
  private problems = new Set<string>();
  private listeners = new Map<string, Set<() => void>>();

  subscribe(id: string, cb: () => void): () => void {
    let s = this.listeners.get(id);
    if (!s) this.listeners.set(id, (s = new Set()));
    s.add(cb);
    return () => s!.delete(cb);
  }

  private notify(id: string) {
    this.listeners.get(id)?.forEach((cb) => cb());
  }

  statusOf(id: string): BadgeStatus {
    return this.status.get(id) ?? 'pending';
  }

  hasProblem(id: string): boolean {
    return this.problems.has(id);
  }

  // Replaces every status; only the nodes whose badge changes are told.
  setStatuses(next: Map<string, BadgeStatus>) {
    const ids = new Set([...this.status.keys(), ...next.keys()]);
    const prev = this.status;
    this.status = new Map(next);
    for (const id of ids) if ((prev.get(id) ?? 'pending') !== (next.get(id) ?? 'pending')) this.notify(id);
  }

  setProblems(ids: string[]) {
    const prev = this.problems;
    this.problems = new Set(ids);
    for (const id of new Set([...prev, ...ids])) if (prev.has(id) !== this.problems.has(id)) this.notify(id);
  }
}
