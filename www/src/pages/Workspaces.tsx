// Workspaces: the directories sandboxed nodes will work in. Create, empty
// (reset), change the network switch and the variables, and delete; the
// default workspace cannot be deleted.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { useCreateWorkspace, useDeleteWorkspace, useResetWorkspace, useUpdateWorkspace, useWorkspaces, type Workspace } from '../api/admin';
import { ErrorNote, Field, formatDate } from '../ui/kit';
import { ConfirmButton, FormFoot, ListPage, ListRow } from '../ui/ListPage';
import { WorkspaceVariables } from '../admin/WorkspaceVariables';
import '../admin/admin.css';

function NewWorkspace({ onDone }: { onDone: (name: string) => void }) {
  const create = useCreateWorkspace();
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [network, setNetwork] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name: name.trim(), ...(path.trim() ? { path: path.trim() } : {}), allow_network: network }, { onSuccess: () => onDone(name.trim()) });
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
      <FormFoot submit="Create workspace" pending={create.isPending} error={create.error} atFields={['name', 'path']} onCancel={() => onDone('')} />
    </form>
  );
}

function Row({ w }: { w: Workspace }) {
  const reset = useResetWorkspace();
  const remove = useDeleteWorkspace();
  const update = useUpdateWorkspace();
  const [editing, setEditing] = useState(false);
  const isDefault = w.name === 'default';
  return (
    <ListRow
      testId={`workspace-${w.name}`}
      actions={
        <>
          <button type="button" aria-label={`Variables of ${w.name}`} aria-expanded={editing} onClick={() => setEditing(!editing)}>
            Variables
          </button>
          <ConfirmButton label={`Reset ${w.name}`} disabled={reset.isPending} question={`Empty the workspace "${w.name}"? Every file in ${w.path} is removed.`} onConfirm={() => reset.mutate(w.id)}>
            Reset
          </ConfirmButton>
          {!isDefault && (
            <ConfirmButton danger label={`Delete ${w.name}`} disabled={remove.isPending} question={`Delete the workspace "${w.name}" and its directory ${w.path}?`} onConfirm={() => remove.mutate(w.id)}>
              Delete
            </ConfirmButton>
          )}
        </>
      }
      detail={
        (editing || reset.data || reset.error || remove.error || update.error) && (
          <>
            {editing && <WorkspaceVariables w={w} onDone={() => setEditing(false)} />}
            {reset.data && (
              <p className="ok" role="status">
                {reset.data.message}
              </p>
            )}
            <ErrorNote error={reset.error || remove.error || update.error} />
          </>
        )
      }
    >
      <td>{w.name}</td>
      <td className="mono cell-clip">{w.path}</td>
      <td>
        <label className="check">
          <input type="checkbox" checked={w.allow_network} disabled={update.isPending} onChange={(e) => update.mutate({ id: w.id, body: { allow_network: e.target.checked } })} />
          <span>
            allowed<span className="sr-only"> for {w.name}</span>
          </span>
        </label>
      </td>
      <td>{w.env_vars.length ? w.env_vars.map((v) => v.key).join(', ') : '—'}</td>
      <td>{formatDate(w.created_at)}</td>
    </ListRow>
  );
}

export default function Workspaces() {
  const list = useWorkspaces();
  return (
    <ListPage
      title="Workspaces"
      noun="workspace"
      intro={<p className="muted">A workspace is a directory that code and command nodes work in. The nodes that use them come in a later release; workspaces can be prepared now.</p>}
      items={list.data?.items}
      loading={list.isLoading}
      error={list.error}
      columns={['Name', 'Directory', 'Network', 'Variables', 'Created']}
      rowKey={(w) => w.id}
      row={(w) => <Row w={w} />}
      empty="No workspaces."
      form={(done) => <NewWorkspace onDone={done} />}
    />
  );
}
