// Agent memory (admin): facts, episodes, procedures, the people workflows
// met, and the conversation checkpoints; delete what is selected.
import { useState, type KeyboardEvent } from 'react';
import { MemoryTable, type Column } from '../admin/MemoryTable';
import type { MemoryKind } from '../api/admin';
import { Field, Page, formatDate } from '../ui/kit';
import '../admin/admin.css';

interface Fact { id: string; scope: string; key: string; value: unknown; fact_type: string; confidence: number; times_confirmed: number; access_count: number; agent_id: string | null; user_id: string | null; updated_at: string }
interface Episode { id: string; agent_id: string; user_id: string | null; trigger_type: string; success: boolean; summary: string | null; error_code: string | null; duration_ms: number | null; started_at: string }
interface Procedure { id: string; agent_id: string; name: string; description: string; procedure_type: string; is_active: boolean; times_used: number; success_rate: number; created_at: string }
interface MemoryUser { id: string; canonical_id: string; display_name: string | null; email: string | null; telegram_id: string | null; total_conversations: number; last_seen_at: string }
interface Checkpoint { checkpoint_id: string; thread_id: string; checkpoint_ns: string; parent_checkpoint_id: string | null; step: number | null; source: string | null; blob_size: number }

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

const factCols: Column<Fact>[] = [
  { title: 'Key', cell: (f) => <code>{f.key}</code> },
  { title: 'Value', cell: (f) => show(f.value) },
  { title: 'Type', cell: (f) => f.fact_type },
  { title: 'Scope', cell: (f) => f.scope },
  { title: 'Confidence', cell: (f) => f.confidence.toFixed(2) },
  { title: 'Confirmed / read', cell: (f) => `${f.times_confirmed} / ${f.access_count}` },
  { title: 'Updated', cell: (f) => formatDate(f.updated_at) },
];
const episodeCols: Column<Episode>[] = [
  { title: 'Started', cell: (e) => formatDate(e.started_at) },
  { title: 'Agent', cell: (e) => e.agent_id },
  { title: 'Trigger', cell: (e) => e.trigger_type },
  { title: 'Outcome', cell: (e) => (e.success ? 'succeeded' : `failed${e.error_code ? ` (${e.error_code})` : ''}`) },
  { title: 'Summary', cell: (e) => e.summary ?? '—' },
  { title: 'Took', cell: (e) => (e.duration_ms === null ? '—' : `${(e.duration_ms / 1000).toFixed(1)} s`) },
];
const procedureCols: Column<Procedure>[] = [
  { title: 'Name', cell: (p) => p.name },
  { title: 'Agent', cell: (p) => p.agent_id },
  { title: 'Type', cell: (p) => p.procedure_type },
  { title: 'Description', cell: (p) => p.description },
  { title: 'Used', cell: (p) => p.times_used },
  { title: 'Success rate', cell: (p) => `${Math.round(p.success_rate * 100)} %` },
  { title: 'Active', cell: (p) => (p.is_active ? 'yes' : 'no') },
];
const userCols: Column<MemoryUser>[] = [
  { title: 'Name', cell: (u) => u.display_name ?? '—' },
  { title: 'Identity', cell: (u) => <code>{u.canonical_id}</code> },
  { title: 'Email', cell: (u) => u.email ?? '—' },
  { title: 'Telegram', cell: (u) => u.telegram_id ?? '—' },
  { title: 'Conversations', cell: (u) => u.total_conversations },
  { title: 'Last seen', cell: (u) => formatDate(u.last_seen_at) },
];
const checkpointCols: Column<Checkpoint>[] = [
  { title: 'Thread', cell: (c) => <code>{c.thread_id}</code> },
  { title: 'Checkpoint', cell: (c) => <code>{c.checkpoint_id}</code> },
  { title: 'Step', cell: (c) => c.step ?? '—' },
  { title: 'Source', cell: (c) => c.source ?? '—' },
  { title: 'Size', cell: (c) => `${c.blob_size} B` },
];

const TABS: [MemoryKind, string][] = [
  ['facts', 'Facts'],
  ['episodes', 'Episodes'],
  ['procedures', 'Procedures'],
  ['users', 'People'],
  ['checkpoints', 'Conversations'],
];

function Checkpoints() {
  const [thread, setThread] = useState('');
  const [wholeThreads, setWholeThreads] = useState(false);
  return (
    <div className="stack">
      <div className="inline-form">
        <Field label="Thread" hint="Only this conversation's checkpoints, e.g. 1:4 (user 1, workflow 4).">
          {(id, d) => <input id={id} value={thread} onChange={(e) => setThread(e.target.value.trim())} aria-describedby={d} spellCheck={false} />}
        </Field>
        <Field label="Deleting">
          {(id) => (
            <span className="check">
              <input id={id} type="checkbox" checked={wholeThreads} onChange={(e) => setWholeThreads(e.target.checked)} /> deletes the whole conversation of each selected checkpoint
            </span>
          )}
        </Field>
      </div>
      <MemoryTable<Checkpoint>
        kind="checkpoints"
        what={wholeThreads ? 'checkpoints (their whole conversations)' : 'checkpoints'}
        columns={checkpointCols}
        idOf={(c) => `${c.thread_id}\u0000${c.checkpoint_id}`}
        labelOf={(c) => `checkpoint ${c.checkpoint_id} of thread ${c.thread_id}`}
        filters={{ thread_id: thread || undefined }}
        deleteBody={(ids) => {
          const pairs = ids.map((i) => i.split('\u0000'));
          return wholeThreads ? { thread_ids: [...new Set(pairs.map((p) => p[0]))] } : { checkpoint_ids: pairs.map((p) => p[1]) };
        }}
      />
    </div>
  );
}

export default function Memory() {
  const [tab, setTab] = useState<MemoryKind>('facts');
  // Arrow keys, Home and End move between the tabs (the ARIA tabs pattern).
  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.findIndex(([k]) => k === tab);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const k = TABS[(to + TABS.length) % TABS.length][0];
    setTab(k);
    document.getElementById(`tab-${k}`)?.focus();
  };
  return (
    <Page title="Memory">
      <p className="muted">What agents remember: facts they were told, episodes of their work, procedures, the people they met and their conversations.</p>
      <div className="tabs" role="tablist" aria-label="Kind of memory" onKeyDown={onTabKey}>
        {TABS.map(([k, label]) => (
          <button key={k} type="button" role="tab" id={`tab-${k}`} aria-selected={tab === k} aria-controls="memory-panel" tabIndex={tab === k ? 0 : -1} onClick={() => setTab(k)}>
            {label}
          </button>
        ))}
      </div>
      <div id="memory-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === 'facts' && <MemoryTable<Fact> kind="facts" what="facts" columns={factCols} idOf={(f) => f.id} labelOf={(f) => `fact ${f.key}`} />}
        {tab === 'episodes' && <MemoryTable<Episode> kind="episodes" what="episodes" columns={episodeCols} idOf={(e) => e.id} labelOf={(e) => `episode of ${e.agent_id} started ${formatDate(e.started_at)}`} />}
        {tab === 'procedures' && <MemoryTable<Procedure> kind="procedures" what="procedures" columns={procedureCols} idOf={(p) => p.id} labelOf={(p) => `procedure ${p.name}`} />}
        {tab === 'users' && <MemoryTable<MemoryUser> kind="users" what="people" columns={userCols} idOf={(u) => u.id} labelOf={(u) => `person ${u.display_name ?? u.canonical_id}`} />}
        {tab === 'checkpoints' && <Checkpoints />}
      </div>
    </Page>
  );
}
