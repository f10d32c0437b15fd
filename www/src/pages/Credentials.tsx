// Credentials: the keys and addresses workflows use to reach model
// providers, tools, git hosts and gateways. Secrets go in once and never
// come back: the list shows what the server answers, which masks them.
import { useState } from 'react';
import { credentialSummary, useCredentials, useDeleteCredential, useTestCredential, useToggleGateway, type Credential, type CredentialTest } from '../api/admin';
import { CredentialEdit } from '../admin/CredentialEdit';
import { CredentialForm } from '../admin/CredentialForm';
import { ErrorNote, Loading, Page, formatDate } from '../ui/kit';
import '../admin/admin.css';

const KIND: Record<string, string> = { llm: 'Model provider', tool: 'Tool', git: 'Git host', gateway: 'Gateway' };

// The masked key the server answered, whichever field holds it.
function maskOf(c: Credential): string {
  for (const k of ['api_key', 'access_token', 'ssh_private_key']) {
    const v = c.detail[k];
    if (typeof v === 'string' && v) return v;
  }
  return '';
}

function TestResult({ result }: { result: CredentialTest }) {
  return (
    <div className={`note ${result.ok ? 'good' : 'bad'}`} role="status" data-testid="credential-test-result">
      {result.ok ? 'It works: the provider accepted the key.' : `It does not work: ${result.error || 'the provider refused.'}`}
    </div>
  );
}

function Row({ c }: { c: Credential }) {
  const test = useTestCredential();
  const remove = useDeleteCredential();
  const toggle = useToggleGateway();
  const [editing, setEditing] = useState(false);
  const canTest = c.credential_type === 'llm' || c.credential_type === 'gateway';
  return (
    <>
      <tr data-testid={`credential-${c.name}`}>
        <td>{c.name}</td>
        <td>{KIND[c.credential_type] ?? c.credential_type}</td>
        <td className="cell-clip">{credentialSummary(c)}</td>
        <td className="cell-clip mono">{maskOf(c)}</td>
        <td>{formatDate(c.created_at)}</td>
        <td className="actions">
          {canTest && (
            <button type="button" aria-label={`Test ${c.name}`} disabled={test.isPending} onClick={() => test.mutate(c.id)}>
              {test.isPending ? 'Testing…' : 'Test'}
            </button>
          )}
          {c.credential_type === 'gateway' && (
            <>
              <button type="button" aria-label={`Activate ${c.name}`} disabled={toggle.isPending} onClick={() => toggle.mutate({ id: c.id, on: true })}>
                Activate
              </button>
              <button type="button" aria-label={`Deactivate ${c.name}`} disabled={toggle.isPending} onClick={() => toggle.mutate({ id: c.id, on: false })}>
                Deactivate
              </button>
            </>
          )}
          <button type="button" aria-label={`Change ${c.name}`} aria-expanded={editing} onClick={() => setEditing(!editing)}>
            Change
          </button>
          <button
            type="button"
            className="danger"
            aria-label={`Delete ${c.name}`}
            disabled={remove.isPending}
            onClick={() => {
              if (window.confirm(`Delete the credential "${c.name}"? Workflows that use it will fail until they are given another.`)) remove.mutate(c.id);
            }}
          >
            Delete
          </button>
        </td>
      </tr>
      {(editing || test.data || test.error || toggle.error || remove.error) && (
        <tr>
          <td colSpan={6}>
            {editing && <CredentialEdit c={c} onDone={() => setEditing(false)} />}
            {test.data && <TestResult result={test.data} />}
            <ErrorNote error={test.error || toggle.error || remove.error} />
          </td>
        </tr>
      )}
    </>
  );
}

export default function Credentials() {
  const list = useCredentials();
  const [adding, setAdding] = useState(false);
  const [saved, setSaved] = useState('');
  return (
    <Page
      title="Credentials"
      actions={
        !adding && (
          <button type="button" className="primary" onClick={() => { setSaved(''); setAdding(true); }}>
            New credential
          </button>
        )
      }
    >
      {adding && (
        <CredentialForm
          onDone={(name) => {
            setAdding(false);
            setSaved(name);
          }}
        />
      )}
      {saved && (
        <p className="ok" role="status">
          Credential "{saved}" saved. Its secret is stored encrypted and will not be shown again.
        </p>
      )}
      {list.isLoading && <Loading />}
      <ErrorNote error={list.error} />
      {list.data && list.data.items.length === 0 && <p className="muted">No credentials yet. Add one to let workflows call a model provider or a tool.</p>}
      {list.data && list.data.items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Credentials">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Details</th>
                <th>Key</th>
                <th>Created</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <Row key={c.id} c={c} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
