// Credentials: the keys and addresses workflows use to reach model
// providers, tools, git hosts and gateways. Secrets go in once and never
// come back: the list shows what the server answers, which masks them.
import { useState } from 'react';
import { credentialSummary, useCredentials, useDeleteCredential, useTestCredential, useToggleGateway, type Credential, type CredentialTest } from '../api/admin';
import { CredentialEdit } from '../admin/CredentialEdit';
import { CredentialForm } from '../admin/CredentialForm';
import { ErrorNote, formatDate } from '../ui/kit';
import { ConfirmButton, ListPage, ListRow } from '../ui/ListPage';
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

// What the server can test: a model provider's key (a call to its models
// list), a SearXNG address (the search web_search makes), a gateway (which
// this installation does not have: the answer says so).
function testable(c: Credential): 'provider' | 'search' | 'gateway' | null {
  if (c.credential_type === 'llm') return 'provider';
  if (c.credential_type === 'gateway') return 'gateway';
  if (c.credential_type === 'tool' && c.detail.tool_type === 'searxng') return 'search';
  return null;
}

function TestResult({ result, kind }: { result: CredentialTest; kind: 'provider' | 'search' | 'gateway' }) {
  const works = kind === 'search' ? 'It works: SearXNG answered a search.' : 'It works: the provider accepted the key.';
  return (
    <div className={`note ${result.ok ? 'good' : 'bad'}`} role="status" data-testid="credential-test-result">
      {result.ok ? works : `It does not work: ${result.error || 'the provider refused.'}`}
    </div>
  );
}

function Row({ c }: { c: Credential }) {
  const test = useTestCredential();
  const remove = useDeleteCredential();
  const toggle = useToggleGateway();
  const [editing, setEditing] = useState(false);
  const canTest = testable(c);
  return (
    <ListRow
      testId={`credential-${c.name}`}
      actions={
        <>
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
          <ConfirmButton
            danger
            label={`Delete ${c.name}`}
            disabled={remove.isPending}
            question={`Delete the credential "${c.name}"? Workflows that use it will fail until they are given another.`}
            onConfirm={() => remove.mutate(c.id)}
          >
            Delete
          </ConfirmButton>
        </>
      }
      detail={
        (editing || test.data || test.error || toggle.error || remove.error) && (
          <>
            {editing && <CredentialEdit c={c} onDone={() => setEditing(false)} />}
            {test.data && canTest && <TestResult result={test.data} kind={canTest} />}
            <ErrorNote error={test.error || toggle.error || remove.error} />
          </>
        )
      }
    >
      <td>{c.name}</td>
      <td>{KIND[c.credential_type] ?? c.credential_type}</td>
      <td className="cell-clip">{credentialSummary(c)}</td>
      <td className="cell-clip mono">{maskOf(c)}</td>
      <td>{formatDate(c.created_at)}</td>
    </ListRow>
  );
}

export default function Credentials() {
  const list = useCredentials();
  return (
    <ListPage
      title="Credentials"
      noun="credential"
      items={list.data?.items}
      loading={list.isLoading}
      error={list.error}
      columns={['Name', 'Kind', 'Details', 'Key', 'Created']}
      rowKey={(c) => c.id}
      row={(c) => <Row c={c} />}
      empty="No credentials yet. Add one to let workflows call a model provider or a tool."
      form={(done) => <CredentialForm onDone={done} />}
      created={(name) => <>Credential "{name}" saved. Its secret is stored encrypted and will not be shown again.</>}
    />
  );
}
