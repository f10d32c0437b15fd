// A user's API keys: the list, a new key (shown once) and revoking. Used
// for one's own keys on the account page and, by an admin, for another
// user's on the users page.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { expiryToIso, useApiKeys, useCreateApiKey, useRevokeApiKey, type ApiKeyCreated } from '../api/account';
import { sessionKey } from '../api/session';
import { ErrorNote, Field, Loading, formatDate } from '../ui/kit';
import { ListTable } from '../ui/ListPage';
import { ShownOnce } from './ShownOnce';

export function ApiKeys({ userId, owner }: { userId: number | 'me'; owner?: string }) {
  const keys = useApiKeys(userId);
  const create = useCreateApiKey(userId);
  const revoke = useRevokeApiKey(userId);
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const whose = owner ? `${owner}'s` : 'your';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { name: name.trim(), expires_at: expiryToIso(expires) },
      {
        onSuccess: (k) => {
          setCreated(k);
          setName('');
          setExpires('');
        },
      },
    );
  };

  const problems = create.error instanceof ApiError ? create.error.fieldProblems() : {};
  const active = (keys.data ?? []).filter((k) => k.is_active);
  // The key this browser is signed in with (its prefix is the key's start).
  const current = userId === 'me' ? sessionKey() : null;
  const isCurrent = (prefix: string) => !!current && !!prefix && current.startsWith(prefix);

  return (
    <div className="stack">
      {keys.isLoading && <Loading what="Loading the keys" />}
      <ErrorNote error={keys.error} />
      {keys.data && active.length === 0 && <p className="muted">No API keys.</p>}
      {active.length > 0 && (
        <ListTable label={`API keys of ${owner ?? 'your account'}`} columns={['Name', 'Starts with', 'Created', 'Expires', 'Last used']}>
            {active.map((k) => (
              <tr key={k.id}>
                <td>
                  {k.name}
                  {isCurrent(k.prefix) && <span className="muted"> (this browser's session)</span>}
                </td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{formatDate(k.created_at)}</td>
                <td>{k.expires_at ? formatDate(k.expires_at) : 'never'}</td>
                <td>{k.last_used_at ? formatDate(k.last_used_at) : 'never'}</td>
                <td className="actions">
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Revoke key ${k.name}`}
                    disabled={revoke.isPending}
                    onClick={() => {
                      const msg = isCurrent(k.prefix)
                        ? 'This is the key this browser is logged in with: revoking it logs you out. Revoke it?'
                        : `Revoke the key "${k.name}"? Programs using it will be refused from now on.`;
                      if (window.confirm(msg)) revoke.mutate(k.id);
                    }}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
        </ListTable>
      )}
      <ErrorNote error={revoke.error} />
      {created ? (
        <ShownOnce title={`New key "${created.name}"`} value={created.key} onDone={() => setCreated(null)} />
      ) : (
        <form className="inline-form" onSubmit={submit} aria-label={`Create an API key for ${whose} account`}>
          <Field label="Key name" problem={problems.name} hint="What will use it, e.g. a backup script.">
            {(id, d) => <input id={id} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} aria-describedby={d} />}
          </Field>
          <Field label="Expires (optional)" problem={problems.expires_at}>
            {(id, d) => <input id={id} type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} aria-describedby={d} />}
          </Field>
          <button type="submit" disabled={create.isPending || !name.trim()}>
            Create key
          </button>
        </form>
      )}
      {!Object.keys(problems).length && <ErrorNote error={create.error} />}
    </div>
  );
}
