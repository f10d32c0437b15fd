// The chat with a workflow's chat trigger: the history kept for the user,
// new messages sent to POST /workflows/{slug}/chat/, and each answer as
// it streams (chat_delta), replaced by the whole message (chat_message),
// with the tool calls as they happen. Events come on workflow:<slug>,
// subscribed while the panel is open, so nothing of a turn is missed
// between sending and knowing its execution id.
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { del, get, post } from '../api/client';
import { chatHistoryKey, isFinished, useChatHistory, type ChatStarted } from '../api/runs';
import { subscribe, type LiveEvent, type LiveState } from '../events/live';
import { ErrorNote, Loading } from '../ui/kit';
import { applyEvent, emptyProgress, replyFromOutput, type TurnProgress } from './conversation';
import './chat.css';

interface Turn {
  key: number;
  text: string;
  executionId?: string;
}

interface StatusOut {
  status: string;
  final_output: unknown;
  error_message: string | null;
}

let nextKey = 1;

export function ChatPanel({ slug, onClose }: { slug: string; onClose: () => void }) {
  const qc = useQueryClient();
  const history = useChatHistory(slug);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [progress, setProgress] = useState<Record<string, TurnProgress>>({});
  const [draft, setDraft] = useState('');
  const [live, setLive] = useState<LiveState>('connecting');
  const [confirmClear, setConfirmClear] = useState(false);
  const logRef = useRef<HTMLDivElement>(null);
  const turnsRef = useRef<Turn[]>([]);
  turnsRef.current = turns;

  // The answer of a turn's execution read from the API: for turns whose
  // events were missed (after a gap, or while polling without pub/sub),
  // and for a reply that came without chat events (a node that answers
  // without streaming). `only`: just these executions, even if ended.
  const catchUp = async (only?: string[]) => {
    const ids = only ?? turnsRef.current.map((t) => t.executionId).filter((x): x is string => !!x);
    for (const id of ids) {
      try {
        const s = await get<StatusOut>(`/executions/${encodeURIComponent(id)}/status/`);
        if (!isFinished(s.status)) continue;
        setProgress((all) => {
          const p = all[id] ?? emptyProgress();
          if (p.state !== 'running' && !only) return all;
          const reply = replyFromOutput(s.final_output);
          const hasMessage = p.items.some((i) => i.kind === 'message');
          const items = hasMessage || !reply ? p.items : [...p.items, { kind: 'message' as const, id: 'final', text: reply, final: true }];
          return { ...all, [id]: { items, state: s.status as TurnProgress['state'], error: s.error_message ?? undefined } };
        });
      } catch {
        /* next time */
      }
    }
  };
  const caughtUp = useRef(new Set<string>());

  useEffect(() => {
    const sub = subscribe(`workflow:${slug}`, {
      onEvent: (e: LiveEvent) => {
        const id = e.execution_id;
        if (!id) return;
        setProgress((all) => {
          const before = all[id] ?? emptyProgress();
          const after = applyEvent(before, e);
          return after === before ? all : { ...all, [id]: after };
        });
      },
      onResync: () => void catchUp(),
      onState: setLive,
    });
    return () => sub.close();
    // catchUp reads the turns through a ref: one subscription per workflow.
  }, [slug]);

  const send = useMutation({
    mutationFn: async (text: string) => {
      const key = nextKey++;
      setTurns((ts) => [...ts, { key, text }]);
      try {
        const r = await post<ChatStarted>(`/workflows/${encodeURIComponent(slug)}/chat/`, { text });
        setTurns((ts) => ts.map((t) => (t.key === key ? { ...t, executionId: r.execution_id } : t)));
        return r;
      } catch (err) {
        setTurns((ts) => ts.filter((t) => t.key !== key));
        setDraft(text);
        throw err;
      }
    },
  });

  const clear = useMutation({
    mutationFn: () => del(`/workflows/${encodeURIComponent(slug)}/chat/history`),
    onSuccess: () => {
      setTurns([]);
      setProgress({});
      setConfirmClear(false);
      void qc.invalidateQueries({ queryKey: chatHistoryKey(slug) });
    },
  });

  // Keep the newest message in view.
  useEffect(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [turns, progress, history.data]);

  // A turn that ended without a message in its events: its reply from the API.
  useEffect(() => {
    const ids = turns
      .map((t) => t.executionId)
      .filter((id): id is string => {
        const p = id ? progress[id] : undefined;
        return !!id && !!p && p.state === 'completed' && !p.items.some((i) => i.kind === 'message') && !caughtUp.current.has(id);
      });
    if (ids.length) {
      ids.forEach((id) => caughtUp.current.add(id));
      void catchUp(ids);
    }
    // catchUp only reads state through setters and refs.
  }, [progress, turns]);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const text = draft.trim();
    if (!text || send.isPending) return;
    setDraft('');
    send.mutate(text);
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      submit();
    }
  };

  const busy = turns.some((t) => !t.executionId || (progress[t.executionId]?.state ?? 'running') === 'running');

  return (
    <aside className="chat-panel" aria-labelledby="chat-title">
      <header className="chat-head">
        <h2 id="chat-title">Chat</h2>
        <span className="muted small" data-testid="chat-live">
          {live === 'live' ? 'live' : live === 'polling' ? 'checking every few seconds' : live === 'connecting' ? 'connecting…' : ''}
        </span>
        <span className="chat-head-actions">
          {confirmClear ? (
            <span role="group" aria-label="Confirm clearing the history">
              <button type="button" className="danger" onClick={() => clear.mutate()} disabled={clear.isPending}>
                Yes, clear it
              </button>{' '}
              <button type="button" onClick={() => setConfirmClear(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" onClick={() => setConfirmClear(true)}>
              Clear history
            </button>
          )}{' '}
          <button type="button" onClick={onClose} aria-label="Close the chat">
            Close
          </button>
        </span>
      </header>
      <div className="chat-log" role="log" aria-live="polite" aria-label="Conversation" ref={logRef} tabIndex={0}>
        {history.isLoading && <Loading what="Loading the conversation" />}
        <ErrorNote error={history.error} />
        {history.data?.has_more && <p className="muted small">Older messages are not shown.</p>}
        {history.data?.messages.map((m, i) => (
          <div key={`h${i}`} className={`chat-msg chat-${m.role}`}>
            <span className="sr-only">{m.role === 'user' ? 'You:' : 'Answer:'} </span>
            {m.text}
          </div>
        ))}
        {turns.map((t) => {
          const p = t.executionId ? progress[t.executionId] : undefined;
          return (
            <div key={t.key} className="chat-turn" data-execution={t.executionId}>
              <div className="chat-msg chat-user">
                <span className="sr-only">You: </span>
                {t.text}
              </div>
              {p?.items.map((it) =>
                it.kind === 'tool' ? (
                  <div key={`t${it.id}${it.status}`} className="chat-tool small" data-status={it.status}>
                    Tool <code>{it.name}</code>: {it.status === 'running' ? 'running…' : it.status === 'success' ? 'done' : it.status}
                  </div>
                ) : (
                  <div key={`m${it.id}`} className={`chat-msg chat-assistant${it.final ? '' : ' streaming'}`} data-testid={it.final ? 'chat-reply' : 'chat-streaming'}>
                    <span className="sr-only">Answer: </span>
                    {it.text}
                  </div>
                ),
              )}
              {(!p || (p.state === 'running' && !p.items.some((i) => i.kind === 'message'))) && (
                <div className="chat-wait muted small" role="status">
                  Thinking…
                </div>
              )}
              {p?.state === 'failed' && <p className="error">The answer failed{p.error ? `: ${p.error}` : '.'}</p>}
              {p?.state === 'cancelled' && <p className="muted">This run was cancelled.</p>}
            </div>
          );
        })}
        {!history.isLoading && !history.data?.messages.length && turns.length === 0 && <p className="muted">No messages yet. Say hello.</p>}
      </div>
      <form className="chat-form" onSubmit={submit}>
        <label htmlFor="chat-input" className="sr-only">
          Message
        </label>
        <textarea
          id="chat-input"
          rows={2}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={onKey}
          placeholder="Write a message (Enter sends, Shift+Enter starts a new line)"
          autoFocus
        />
        <button type="submit" className="primary" disabled={!draft.trim() || send.isPending}>
          Send
        </button>
      </form>
      <ErrorNote error={send.error ?? clear.error} />
      {busy && <span className="sr-only" role="status">Waiting for the answer</span>}
    </aside>
  );
}

export default ChatPanel;
