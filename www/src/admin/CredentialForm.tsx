// A new credential. The secret inputs are uncontrolled (read once from the
// form on submit, then the form is emptied), so a secret never sits in
// React state nor in a value attribute, and nothing of it stays on the page.
import { useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { credentialDetail, parseHeaderLines, useCreateCredential, type CredentialType } from '../api/admin';
import { Field } from '../ui/kit';
import { FormFoot } from '../ui/ListPage';

const TYPES: [CredentialType, string][] = [
  ['llm', 'Language model provider'],
  ['tool', 'Tool (web search, API)'],
  ['git', 'Git host'],
  ['gateway', 'Message gateway'],
];

const PROVIDERS: [string, string][] = [
  ['openai_compatible', 'OpenAI-compatible (Ollama, vLLM…)'],
  ['openai', 'OpenAI'],
  ['anthropic', 'Anthropic'],
  ['glm', 'GLM (Z.ai)'],
];

const TOOL_TYPES: [string, string][] = [
  ['searxng', 'SearXNG (web search)'],
  ['api', 'Other API'],
  ['browser', 'Browser'],
];

function Secret({ name, label, hint, multiline }: { name: string; label: string; hint?: string; multiline?: boolean }) {
  return (
    <Field label={label} hint={hint}>
      {(id, d) =>
        multiline ? (
          <textarea id={id} name={name} rows={4} autoComplete="off" spellCheck={false} aria-describedby={d} />
        ) : (
          <input id={id} name={name} type="password" autoComplete="new-password" spellCheck={false} aria-describedby={d} />
        )
      }
    </Field>
  );
}

function Text({ name, label, hint, placeholder, problem, type = 'text' }: { name: string; label: string; hint?: string; placeholder?: string; problem?: string; type?: string }) {
  return (
    <Field label={label} hint={hint} problem={problem}>
      {(id, d) => <input id={id} name={name} type={type} placeholder={placeholder} aria-describedby={d} />}
    </Field>
  );
}

function Choice({ name, label, options, value, onChange }: { name: string; label: string; options: [string, string][]; value?: string; onChange?: (v: string) => void }) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} name={name} value={value} defaultValue={value === undefined ? options[0][0] : undefined} onChange={onChange ? (e) => onChange(e.target.value) : undefined}>
          {options.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function CredentialForm({ onDone }: { onDone: (name: string) => void }) {
  const create = useCreateCredential();
  const form = useRef<HTMLFormElement>(null);
  const [type, setType] = useState<CredentialType>('llm');
  const [toolType, setToolType] = useState('searxng');
  const [localError, setLocalError] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLocalError(null);
    const el = form.current;
    if (!el) return;
    const data = new FormData(el);
    const fields: Record<string, string | boolean> = {};
    data.forEach((v, k) => {
      if (typeof v === 'string') fields[k] = v;
    });
    fields.is_preferred = data.get('is_preferred') === 'on';
    const name = String(fields.name || '').trim();
    if (typeof fields.custom_headers === 'string') {
      const bad = parseHeaderLines(fields.custom_headers).bad;
      if (bad) {
        setLocalError(`Each header line is "Name: value"; this one is not: ${bad.split(':')[0]}`);
        return;
      }
    }
    let detail: Record<string, unknown>;
    try {
      detail = credentialDetail(type, fields);
    } catch {
      setLocalError('The configuration is not valid JSON.');
      return;
    }
    create.mutate(
      { name, credential_type: type, detail },
      {
        onSuccess: () => {
          el.reset();
          onDone(name);
        },
      },
    );
  };

  const problems = create.error instanceof ApiError ? create.error.fieldProblems() : {};

  return (
    <form ref={form} className="card form section" onSubmit={submit} aria-label="New credential" autoComplete="off">
      <h2>New credential</h2>
      <div className="form-grid">
        <Field label="Name" problem={problems.name} hint="How workflows and you refer to it.">
          {(id, d) => <input id={id} name="name" required maxLength={255} aria-describedby={d} autoFocus />}
        </Field>
        <Choice name="kind" label="Kind" options={TYPES} value={type} onChange={(v) => setType(v as CredentialType)} />
      </div>
      {type === 'llm' && (
        <div className="form-grid">
          <Choice name="provider_type" label="Provider" options={PROVIDERS} />
          <Text name="base_url" label="Base URL" type="url" placeholder="https://api.example.com/v1" hint="Leave empty for the provider's own address." />
          <Secret name="api_key" label="API key" hint="Stored encrypted; shown afterwards only as its last 4 characters." />
          <Text name="organization_id" label="Organisation (optional)" />
          <div className="wide-field">
            <Field label="Extra headers (optional)" hint='One per line, "Name: value". Values are treated as secrets.'>
              {(id, d) => <textarea id={id} name="custom_headers" rows={2} autoComplete="off" spellCheck={false} aria-describedby={d} />}
            </Field>
          </div>
        </div>
      )}
      {type === 'tool' && (
        <div className="form-grid">
          <Choice name="tool_type" label="Tool" options={TOOL_TYPES} value={toolType} onChange={setToolType} />
          {toolType === 'searxng' ? (
            <Text name="url" label="SearXNG address" type="url" placeholder="http://127.0.0.1:8888" hint="The web_search tool sends its queries here." />
          ) : (
            <div className="wide-field">
              <Field label="Configuration (JSON)" hint="Stored as given and shown back: put no secret here.">
                {(id, d) => <textarea id={id} name="config" rows={3} spellCheck={false} placeholder="{}" aria-describedby={d} />}
              </Field>
            </div>
          )}
          <Field label="Preferred">
            {(id) => (
              <span className="check">
                <input id={id} name="is_preferred" type="checkbox" /> Use it when a node names no credential of this tool
              </span>
            )}
          </Field>
        </div>
      )}
      {type === 'git' && (
        <div className="form-grid">
          <Choice name="provider" label="Host" options={[['github', 'GitHub'], ['gitlab', 'GitLab'], ['bitbucket', 'Bitbucket']]} />
          <Choice name="credential_type" label="Sign in with" options={[['token', 'Access token'], ['ssh', 'SSH key']]} />
          <Text name="username" label="Username (optional)" />
          <Secret name="access_token" label="Access token" />
          <div className="wide-field">
            <Secret name="ssh_private_key" label="SSH private key" multiline hint="Only for SSH; stored encrypted and never shown again." />
          </div>
          <Secret name="webhook_secret" label="Webhook secret (optional)" />
        </div>
      )}
      {type === 'gateway' && (
        <div className="form-grid">
          <Text name="adapter_type" label="Adapter" placeholder="telegram" />
          <Secret name="token" label="Token" />
          <p className="muted wide-field">This installation has no message gateway yet: the credential is kept, but testing and activating it answer that no gateway is configured.</p>
        </div>
      )}
      {localError && (
        <p className="error" role="alert">
          {localError}
        </p>
      )}
      <FormFoot submit="Save credential" pending={create.isPending} error={create.error} atFields={['name']} onCancel={() => onDone('')} />
    </form>
  );
}
