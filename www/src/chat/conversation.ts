// What a chat turn shows while its execution runs, built from the live
// events: the answer's pieces (chat_delta) until the whole message
// (chat_message) replaces them, and the tool calls as they happen. Pure,
// so it is unit-tested.
import type { LiveEvent } from '../events/live';

export type TurnItem =
  | { kind: 'message'; id: string; text: string; final: boolean }
  | { kind: 'tool'; id: string; name: string; status: string };

export interface TurnProgress {
  items: TurnItem[];
  // running until the execution ends; then completed or failed (or cancelled).
  state: 'running' | 'completed' | 'failed' | 'cancelled';
  error?: string;
}

export const emptyProgress = (): TurnProgress => ({ items: [], state: 'running' });

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

// The progress after one event of the turn's execution (unchanged object
// when the event means nothing here).
export function applyEvent(p: TurnProgress, e: LiveEvent): TurnProgress {
  const d = e.data ?? {};
  switch (e.type) {
    case 'chat_delta': {
      const id = str(d.message_id) || str(d.node_id);
      const items = [...p.items];
      const i = items.findIndex((it) => it.kind === 'message' && it.id === id);
      if (i >= 0) {
        const m = items[i] as Extract<TurnItem, { kind: 'message' }>;
        if (m.final) return p; // the whole message is already here
        items[i] = { ...m, text: d.reset ? str(d.text) : m.text + str(d.text) };
      } else {
        items.push({ kind: 'message', id, text: str(d.text), final: false });
      }
      return { ...p, items };
    }
    case 'chat_message': {
      const id = str(d.message_id) || str(d.node_id);
      const items = [...p.items];
      const i = items.findIndex((it) => it.kind === 'message' && it.id === id);
      const m: TurnItem = { kind: 'message', id, text: str(d.text), final: true };
      if (i >= 0) items[i] = m;
      else items.push(m);
      return { ...p, items };
    }
    case 'node_status': {
      if (!d.is_tool_call) return p;
      const name = str(d.tool_name) || str(d.display_name) || str(d.node_id);
      const id = `${str(d.node_id)}:${name}`;
      const items = [...p.items];
      // A tool called again after it finished is a new call.
      let i = -1;
      for (let k = items.length - 1; k >= 0; k--) {
        const it = items[k];
        if (it.kind === 'tool' && it.id === id && it.status === 'running') {
          i = k;
          break;
        }
      }
      const status = str(d.status) || 'running';
      if (i >= 0) items[i] = { kind: 'tool', id, name, status };
      else items.push({ kind: 'tool', id, name, status });
      return { ...p, items };
    }
    case 'execution_completed':
      return { ...p, state: 'completed' };
    case 'execution_failed':
      return { ...p, state: 'failed', error: str(d.error) || str(d.error_message) || undefined };
    case 'execution_cancelled':
      return { ...p, state: 'cancelled' };
    default:
      return p;
  }
}

// The reply text of a finished chat execution's final output, for a turn
// whose events were missed: an agent's {"message": "..."}, a reply node's
// {"output": "..."}, or a bare string.
export function replyFromOutput(out: unknown): string {
  if (typeof out === 'string') return out;
  if (out && typeof out === 'object') {
    const o = out as { output?: unknown; message?: unknown };
    if (typeof o.message === 'string') return o.message;
    if (typeof o.output === 'string') return o.output;
  }
  return '';
}
