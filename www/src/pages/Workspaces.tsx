// Workspaces: the directories sandboxed nodes will work in. Create, empty
// (reset) and delete; the default workspace cannot be deleted.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { useCreateWorkspace, useDeleteWorkspace, useResetWorkspace, useUpdateWorkspace, useWorkspaces, type Workspace } from '../api/admin';
import { ErrorNote, Field, Loading, Page, formatDate } from '../ui/kit';
import '../admin/admin.css';

function NewWorkspace({ onDone }: { onDone: () => void }) {
  const create = useCreateWorkspace();
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [network, setNetwork] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name: name.trim(), ...(path.trim() ? { path: path.trim() } : {}), allow_network: network }, { onSuccess: onDone });
  };
  const problems = create.error instanceof ApiError ? create.error.fieldProblems() : {};
  return (
    <form className="card form section" onSubmit={submit} aria-label="New workspace">
      <h2>New workspace</h2>
      <div className="form-grid">
        <Field label="Name" hint="Also the directory's name, unless a directory is given." problem={problems.name}>
          {(id, d) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} aria-describedby={d} autoFocus />}
        </Field>
        <Field label="Directory (optional)" hint="One directory right under the workspaces root." problem={problems.path}>
          {(id, d) => <input id={id} value={path} onChange={(e) => setPath(e.target.value)} aria-describedby={d} spellCheck={false} />}
        </Field>
        <Field label="Network">
          {(id) => (
            <span className="check">
              <input id={id} type="checkbox" checked={network} onChange={(e) => setNetwork(e.target.checked)} /> Let code in it reach the network
            </span>
          )}
        </Field>
      </div>
      {!Object.keys(problems).length && <ErrorNote error={create.error} />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create workspace
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Row({ w }: { w: Workspace }) {
  const reset = useResetWorkspace();
  const remove = useDeleteWorkspace();
  const update = useUpdateWorkspace();
  const isDefault = w.name === 'default';
  return (
    <>
      <tr data-testid={`workspace-${w.name}`}>
        <td>{w.name}</td>
        <td className="mono cell-clip">{w.path}</td>
        <td>
          <label className="check">
            <input type="checkbox" checked={w.allow_network} disabled={update.isPending} onChange={(e) => update.mutate({ id: w.id, allow_network: e.target.checked })} />
            <span>
              allowed<span className="sr-only"> for {w.name}</span>
            </span>
          </label>
        </td>
        <td>{w.env_vars.length ? w.env_vars.map((v) => v.key).join(', ') : '—'}</td>
        <td>{formatDate(w.created_at)}</td>
        <td className="actions">
          <button
            type="button"
            aria-label={`Reset ${w.name}`}
            disabled={reset.isPending}
            onClick={() => {
              if (window.confirm(`Empty the workspace "${w.name}"? Every file in ${w.path} is removed.`)) reset.mutate(w.id);
            }}
          >
            Reset
          </button>
          {!isDefault && (
            <button
              type="button"
              className="danger"
              aria-label={`Delete ${w.name}`}
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(`Delete the workspace "${w.name}" and its directory ${w.path}?`)) remove.mutate(w.id);
              }}
            >
              Delete
            </button>
          )}
        </td>
      </tr>
      {(reset.data || reset.error || remove.error || update.error) && (
        <tr>
          <td colSpan={6}>
            {reset.data && (
              <p className="ok" role="status">
                {reset.data.message}
              </p>
            )}
            <ErrorNote error={reset.error || remove.error || update.error} />
          </td>
        </tr>
      )}
    </>
  );
}

export default function Workspaces() {
  const list = useWorkspaces();
  const [adding, setAdding] = useState(false);
  return (
    <Page
      title="Workspaces"
      actions={
        !adding && (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            New workspace
          </button>
        )
      }
    >
      <p className="muted">A workspace is a directory that code and command nodes work in. The nodes that use them come in a later release; workspaces can be prepared now.</p>
      {adding && <NewWorkspace onDone={() => setAdding(false)} />}
      {list.isLoading && <Loading />}
      <ErrorNote error={list.error} />
      {list.data && list.data.items.length === 0 && <p className="muted">No workspaces.</p>}
      {list.data && list.data.items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Workspaces">
            <thead>
              <tr>
                <th>Name</th>
                <th>Directory</th>
                <th>Network</th>
                <th>Variables</th>
                <th>Created</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((w) => (
                <Row key={w.id} w={w} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
