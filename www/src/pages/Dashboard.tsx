// The workflows: their sizes, today's spending against their budgets,
// search, create, delete, import and export.
import { lazy, Suspense, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { ApiError, del, get, post } from '../api/client';
import { useWorkflows, workflowsKey, type ImportOut, type WorkflowSummary } from '../api/runs';
import { ErrorNote, Field, Loading, Page } from '../ui/kit';
import { BudgetMeter } from '../runs/BudgetMeter';
import { downloadJson } from '../runs/download';
import '../runs/runs.css';

// The chat loads only when opened.
const ChatPanel = lazy(() => import('../chat/ChatPanel'));

export default function Dashboard() {
  const workflows = useWorkflows();
  const [search, setSearch] = useState('');
  const [panel, setPanel] = useState<'none' | 'create' | 'import'>('none');
  const [chat, setChat] = useState<string | null>(null);
  const qc = useQueryClient();

  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    const all = workflows.data ?? [];
    if (!q) return all;
    return all.filter((w) =>
      [w.name, w.slug, w.description, ...(w.tags ?? [])].some((s) => (s ?? '').toLowerCase().includes(q)),
    );
  }, [workflows.data, search]);

  return (
    <Page
      title="Workflows"
      actions={
        <>
          <button type="button" className="primary" onClick={() => setPanel(panel === 'create' ? 'none' : 'create')} aria-expanded={panel === 'create'}>
            New workflow
          </button>
          <button type="button" onClick={() => setPanel(panel === 'import' ? 'none' : 'import')} aria-expanded={panel === 'import'}>
            Import
          </button>
        </>
      }
    >
      {panel === 'create' && <CreateWorkflow onCancel={() => setPanel('none')} />}
      {panel === 'import' && <ImportWorkflow onClose={() => setPanel('none')} />}
      <div className="toolbar">
        <Field label="Search workflows">
          {(id) => (
            <input
              id={id}
              type="search"
              value={search}
              placeholder="Name, slug, description or tag"
              onChange={(e) => setSearch(e.target.value)}
            />
          )}
        </Field>
      </div>
      {workflows.isLoading && <Loading what="Loading workflows" />}
      <ErrorNote error={workflows.error} />
      {workflows.data && workflows.data.length === 0 && (
        <p className="muted">No workflows yet. Create one, or import a document exported from Pipelit.</p>
      )}
      {workflows.data && workflows.data.length > 0 && (
        <table className="workflows">
          <caption className="sr-only">Workflows</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Nodes</th>
              <th scope="col">Edges</th>
              <th scope="col">Triggers</th>
              <th scope="col">Used today</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((w) => (
              <WorkflowRow key={w.slug} w={w} onChat={() => setChat(w.slug)} />
            ))}
            {shown.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No workflow matches “{search}”.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {chat && (
        <div className="chat-drawer">
          <Suspense fallback={<Loading what="Opening the chat" />}>
            <ChatPanel
              key={chat}
              slug={chat}
              onClose={() => {
                setChat(null);
                // What the chat spent shows in the row.
                void qc.invalidateQueries({ queryKey: workflowsKey });
              }}
            />
          </Suspense>
        </div>
      )}
    </Page>
  );
}

function WorkflowRow({ w, onChat }: { w: WorkflowSummary; onChat: () => void }) {
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => del(`/workflows/${encodeURIComponent(w.slug)}/`),
    onSuccess: () => qc.invalidateQueries({ queryKey: workflowsKey }),
  });
  const exportDoc = useMutation({
    mutationFn: () => get<unknown>(`/workflows/${encodeURIComponent(w.slug)}/export/`),
    onSuccess: (doc) => downloadJson(`${w.slug}.json`, doc),
  });
  return (
    <tr data-testid={`workflow-${w.slug}`}>
      <td>
        <Link to={`/workflows/${encodeURIComponent(w.slug)}`}>{w.name}</Link>
        {!w.is_active && <span className="badge status-cancelled inline-badge">inactive</span>}
        <div className="muted small">
          <code>{w.slug}</code>
          {w.description && <> · {w.description}</>}
        </div>
      </td>
      <td>{w.node_count}</td>
      <td>{w.edge_count}</td>
      <td>{w.trigger_count}</td>
      <td className="small">
        <BudgetMeter label="Tokens" used={w.budget_today.tokens} limit={w.budget.max_tokens_per_day} />
        <br />
        <BudgetMeter label="Cost" used={w.budget_today.usd} limit={w.budget.max_usd_per_day} usd />
      </td>
      <td>
        <div className="row-actions">
          <Link to={`/executions?workflow=${encodeURIComponent(w.slug)}`} aria-label={`Executions of ${w.name}`}>
            Executions
          </Link>
          {w.trigger_count > 0 && (
            <button type="button" onClick={onChat} aria-label={`Chat with ${w.name}`} title="Talk to the workflow's chat trigger">
              Chat
            </button>
          )}
          <button type="button" onClick={() => exportDoc.mutate()} disabled={exportDoc.isPending} aria-label={`Export ${w.name}`}>
            Export
          </button>
          {confirming ? (
            <span role="group" aria-label={`Confirm deleting ${w.name}`} className="confirm-inline">
              <span>Delete it and its executions?</span>
              <button type="button" className="danger" onClick={() => remove.mutate()} disabled={remove.isPending}>
                Yes, delete {w.name}
              </button>
              <button type="button" onClick={() => setConfirming(false)} autoFocus>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" className="danger" onClick={() => setConfirming(true)} aria-label={`Delete ${w.name}`}>
              Delete
            </button>
          )}
        </div>
        <ErrorNote error={remove.error ?? exportDoc.error} />
      </td>
    </tr>
  );
}

function CreateWorkflow({ onCancel }: { onCancel: () => void }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = useMutation({
    mutationFn: () => post<WorkflowSummary>('/workflows/', { name: name.trim(), description }),
    onSuccess: (w) => {
      void qc.invalidateQueries({ queryKey: workflowsKey });
      navigate(`/workflows/${encodeURIComponent(w.slug)}`);
    },
  });
  const problems = create.error instanceof ApiError ? create.error.fieldProblems() : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) create.mutate();
  };
  return (
    <form className="card form panel-form" onSubmit={submit} aria-label="New workflow">
      <Field label="Name" problem={problems.name ?? problems.slug}>
        {(id, d) => <input id={id} aria-describedby={d} value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} autoFocus />}
      </Field>
      <Field label="Description">
        {(id) => <input id={id} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      {!Object.keys(problems).length && <ErrorNote error={create.error} />}
      <div className="buttons">
        <button type="submit" className="primary" disabled={create.isPending || !name.trim()}>
          Create and open
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ImportWorkflow({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const [text, setText] = useState('');
  const [parseError, setParseError] = useState('');
  const imp = useMutation({
    mutationFn: (doc: unknown) => post<ImportOut>('/workflows/import/', doc),
    onSuccess: () => qc.invalidateQueries({ queryKey: workflowsKey }),
  });

  const readFile = async (f: File | undefined) => {
    if (!f) return;
    setText(await f.text());
    setParseError('');
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      setParseError(`This is not a JSON document: ${(err as Error).message}`);
      return;
    }
    setParseError('');
    imp.mutate(doc);
  };
  const done = imp.data;
  return (
    <form className="card form panel-form" onSubmit={submit} aria-label="Import a workflow">
      <Field label="Workflow file" hint="A document exported from Pipelit (format pipelit-workflow, version 1 or 2).">
        {(id, d) => <input id={id} aria-describedby={d} type="file" accept="application/json,.json" onChange={(e) => void readFile(e.target.files?.[0])} />}
      </Field>
      <Field label="Or paste the document" problem={parseError || undefined}>
        {(id, d) => <textarea id={id} aria-describedby={d} rows={8} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />}
      </Field>
      <ErrorNote error={imp.error} />
      {done && (
        <div role="status" className="import-result">
          <p className="ok">
            Imported as <Link to={`/workflows/${encodeURIComponent(done.slug)}`}>{done.name}</Link> (<code>{done.slug}</code>) with {done.node_count}{' '}
            nodes and {done.edge_count} edges.
          </p>
          {done.unresolved_credentials.length > 0 ? (
            <>
              <p className="warn-text">
                {done.unresolved_credentials.length === 1 ? 'One credential reference' : `${done.unresolved_credentials.length} credential references`} could not be
                matched to a credential of yours. Create them (or choose others in the editor) before running:
              </p>
              <ul data-testid="unresolved-credentials">
                {done.unresolved_credentials.map((u, i) => (
                  <li key={i}>
                    Node <code>{u.node_id}</code>, field <code>{u.field}</code>:{' '}
                    {u.name !== null ? (
                      <>
                        {u.credential_type ?? 'credential'} named “{u.name}”
                      </>
                    ) : (
                      <>credential id {u.credential_id} is not one of yours</>
                    )}
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p className="muted">Every credential it names was found.</p>
          )}
        </div>
      )}
      <div className="buttons">
        <button type="submit" className="primary" disabled={imp.isPending || !text.trim()}>
          Import
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}
