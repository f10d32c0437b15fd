// Live events: a subscription to one channel (workflow:<slug> or
// execution:<id>) through nginx's pub/sub module, with what a page needs
// to never show a wrong state:
//  - tickets live about a minute: a fresh one is fetched and the stream
//    reopened before the old one expires, resuming after the last message
//    seen (nchan replays its buffer from last_event_id);
//  - execution events carry a per-execution seq: a gap means something was
//    missed, and the page reloads from REST (onResync);
//  - when a stream opens with nothing to resume from (the first one) and
//    after a lost connection, the page reloads once it is open;
//  - without pub/sub (no nchan, or the stream keeps failing) the page polls.
import { post } from '../api/client';

export interface LiveEvent {
  type: string;
  channel?: string;
  timestamp?: number;
  execution_id?: string;
  seq?: number;
  data?: Record<string, unknown>;
}

export type LiveState = 'connecting' | 'live' | 'polling' | 'closed';

export interface LiveHandlers {
  onEvent(e: LiveEvent): void;
  // Something may have been missed: reload what the page shows from REST.
  onResync?(): void;
  onState?(s: LiveState): void;
}

export interface LiveOptions {
  // How often onResync runs while pub/sub is unavailable (ms).
  pollMs?: number;
  // Renew the ticket this long before it expires (ms).
  renewBeforeMs?: number;
}

interface TicketOut {
  ticket: string;
  expires_in: number;
  url: string;
}

// Tracks the last seq per execution; reports a gap.
export class SeqTracker {
  private last = new Map<string, number>();

  // True when e follows what was seen (or carries no seq); false on a gap.
  // A seq at or below the last one is a replay and is reported as seen
  // (duplicate) through the second value.
  accept(e: LiveEvent): { inOrder: boolean; duplicate: boolean } {
    if (typeof e.seq !== 'number' || !e.execution_id) return { inOrder: true, duplicate: false };
    const prev = this.last.get(e.execution_id);
    if (prev !== undefined && e.seq <= prev) return { inOrder: true, duplicate: true };
    this.last.set(e.execution_id, e.seq);
    // The first event seen of an execution may be mid-stream (the page
    // opened late): only a jump after one seen is a gap. execution_started
    // is seq 1, so a first event above 1 right after a resync is fine too.
    if (prev === undefined) return { inOrder: true, duplicate: false };
    return { inOrder: e.seq === prev + 1, duplicate: false };
  }

  // After a REST reload, the page knows an execution up to seq.
  known(executionId: string, seq: number): void {
    const prev = this.last.get(executionId);
    if (prev === undefined || seq > prev) this.last.set(executionId, seq);
  }

  reset(): void {
    this.last.clear();
  }
}

export interface Subscription {
  close(): void;
  seq: SeqTracker;
}

const FAILURES_BEFORE_POLLING = 2;
const RETRY_STREAM_MS = 15000;

export function subscribe(channel: string, h: LiveHandlers, opts: LiveOptions = {}): Subscription {
  const pollMs = opts.pollMs ?? 3000;
  const renewBeforeMs = opts.renewBeforeMs ?? 5000;
  const seq = new SeqTracker();
  let closed = false;
  let source: EventSource | null = null;
  let renewTimer: number | undefined;
  let retryTimer: number | undefined;
  let pollTimer: number | undefined;
  let lastEventId = '';
  let failures = 0;
  let lostConnection = false;
  let state: LiveState = 'connecting';

  const setState = (s: LiveState) => {
    if (s !== state) {
      state = s;
      h.onState?.(s);
    }
  };

  const stopPolling = () => {
    if (pollTimer !== undefined) window.clearInterval(pollTimer);
    pollTimer = undefined;
  };

  const startPolling = () => {
    if (pollTimer !== undefined || closed) return;
    setState('polling');
    pollTimer = window.setInterval(() => h.onResync?.(), pollMs);
    h.onResync?.();
  };

  const closeSource = () => {
    if (source) {
      source.onmessage = null;
      source.onerror = null;
      source.onopen = null;
      source.close();
      source = null;
    }
    if (renewTimer !== undefined) window.clearTimeout(renewTimer);
    renewTimer = undefined;
  };

  const failed = () => {
    closeSource();
    if (closed) return;
    failures++;
    lostConnection = true;
    if (failures >= FAILURES_BEFORE_POLLING) startPolling();
    const wait = failures >= FAILURES_BEFORE_POLLING ? RETRY_STREAM_MS : 500;
    retryTimer = window.setTimeout(connect, wait);
  };

  const handle = (m: MessageEvent) => {
    if (m.lastEventId) lastEventId = m.lastEventId;
    let e: LiveEvent;
    try {
      e = JSON.parse(m.data as string);
    } catch {
      return;
    }
    const r = seq.accept(e);
    if (r.duplicate) return;
    h.onEvent(e);
    if (!r.inOrder) h.onResync?.();
  };

  async function connect(): Promise<void> {
    retryTimer = undefined;
    if (closed) return;
    let t: TicketOut;
    try {
      t = await post<TicketOut>('/events/ticket/', { channel });
    } catch {
      failed();
      return;
    }
    if (closed) return;
    const url = lastEventId ? `${t.url}&last_event_id=${encodeURIComponent(lastEventId)}` : t.url;
    const es = new EventSource(url);
    source = es;
    es.onopen = () => {
      failures = 0;
      stopPolling();
      setState('live');
      // nchan replays only after a Last-Event-ID: what was published
      // between the page's REST load and a first stream's opening (or
      // during a lost connection) is read from REST now.
      if (lostConnection || !lastEventId) {
        lostConnection = false;
        h.onResync?.();
      }
    };
    es.onmessage = handle;
    es.onerror = () => {
      // The browser would retry with the same, soon expired ticket: take
      // over instead.
      if (source === es) failed();
    };
    const renewIn = Math.max(1000, t.expires_in * 1000 - renewBeforeMs);
    renewTimer = window.setTimeout(() => {
      // A planned renewal: the next stream resumes after the last message
      // seen (nchan replays what came in between; replays are dropped by seq).
      if (closed || source !== es) return;
      closeSource();
      void connect();
    }, renewIn);
  }

  setState('connecting');
  void connect();

  return {
    seq,
    close() {
      closed = true;
      closeSource();
      stopPolling();
      if (retryTimer !== undefined) window.clearTimeout(retryTimer);
      setState('closed');
    },
  };
}
