// A workspace's environment variables after creation: the whole list is
// edited and saved at once (the API replaces it). Stored values are never
// shown: a line keeps its value until a new one is typed.
import { useState, type FormEvent } from 'react';
import { useUpdateWorkspace, variablesBody, type VariableLine, type Workspace } from '../api/admin';
import { FormFoot } from '../ui/ListPage';

export function WorkspaceVariables({ w, onDone }: { w: Workspace; onDone: () => void }) {
  const update = useUpdateWorkspace();
  const [lines, setLines] = useState<VariableLine[]>(() => w.env_vars.map((v) => ({ key: v.key, value: '', was: v })));
  const [problem, setProblem] = useState<string | null>(null);
  const change = (i: number, part: Partial<VariableLine>) => setLines(lines.map((l, j) => (j === i ? { ...l, ...part } : l)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { env_vars, problem } = variablesBody(lines);
    setProblem(problem);
    if (problem) return;
    update.mutate({ id: w.id, body: { env_vars } }, { onSuccess: onDone });
  };
  return (
    <form className="stack" onSubmit={submit} aria-label={`Variables of ${w.name}`}>
      <h2>Variables of {w.name}</h2>
      {lines.length === 0 && <p className="muted">No variables.</p>}
      {lines.map((l, i) => (
        <div className="inline-form" key={i}>
          <label className="field">
            <span>Name of variable {i + 1}</span>
            <input className="mono" value={l.key} spellCheck={false} maxLength={255} onChange={(e) => change(i, { key: e.target.value })} />
          </label>
          <label className="field">
            <span>Value of variable {i + 1}</span>
            <input
              type="password"
              autoComplete="off"
              value={l.value}
              placeholder={l.was ? (l.was.source === 'credential' ? 'from a credential: unchanged' : 'stored: unchanged') : ''}
              onChange={(e) => change(i, { value: e.target.value })}
            />
          </label>
          <button type="button" aria-label={`Remove variable ${l.key || i + 1}`} onClick={() => setLines(lines.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <div>
        <button type="button" onClick={() => setLines([...lines, { key: '', value: '' }])}>
          Add a variable
        </button>
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <FormFoot submit="Save variables" pending={update.isPending} error={update.error} onCancel={onDone} />
    </form>
  );
}

