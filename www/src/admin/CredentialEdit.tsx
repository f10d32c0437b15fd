// Changing a credential: its name, a model provider's address and key, a
// SearXNG tool's address. The key field is uncontrolled and starts empty:
// the stored key is never shown, only replaced.
import { useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { credentialChanges, useUpdateCredential, type Credential } from '../api/admin';
import { Field } from '../ui/kit';
import { FormFoot } from '../ui/ListPage';

export function CredentialEdit({ c, onDone }: { c: Credential; onDone: () => void }) {
  const update = useUpdateCredential();
  const form = useRef<HTMLFormElement>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const cfg = (c.detail.config as Record<string, unknown>) || {};
  const searx = c.credential_type === 'tool' && c.detail.tool_type === 'searxng';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const el = form.current;
    if (!el) return;
    const data = new FormData(el);
    const get = (k: string) => (data.has(k) ? String(data.get(k)) : undefined);
    const { body, problem } = credentialChanges(c, { name: get('name') ?? c.name, base_url: get('base_url'), api_key: get('api_key'), url: get('url') });
    setProblem(problem);
    if (problem) return;
    if (!body.name && !body.detail) {
      onDone();
      return;
    }
    update.mutate({ id: c.id, body }, { onSuccess: () => { el.reset(); onDone(); } });
  };
  const problems = update.error instanceof ApiError ? update.error.fieldProblems() : {};

  return (
    <form ref={form} className="form" onSubmit={submit} aria-label={`Change ${c.name}`} autoComplete="off">
      <div className="form-grid">
        <Field label="Name" problem={problems.name}>
          {(id, d) => <input id={id} name="name" required maxLength={255} defaultValue={c.name} aria-describedby={d} />}
        </Field>
        {c.credential_type === 'llm' && (
          <>
            <Field label="Base URL" hint="Changing it needs the key again.">
              {(id, d) => <input id={id} name="base_url" type="url" defaultValue={typeof c.detail.base_url === 'string' ? c.detail.base_url : ''} aria-describedby={d} />}
            </Field>
            <Field label="New API key" hint="Leave empty to keep the stored one.">
              {(id, d) => <input id={id} name="api_key" type="password" autoComplete="new-password" spellCheck={false} aria-describedby={d} />}
            </Field>
          </>
        )}
        {searx && (
          <Field label="SearXNG address">
            {(id) => <input id={id} name="url" type="url" defaultValue={typeof cfg.url === 'string' ? cfg.url : ''} />}
          </Field>
        )}
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <FormFoot submit="Save changes" pending={update.isPending} error={update.error} atFields={['name']} onCancel={onDone} />
    </form>
  );
}
