// Users (admin): create, change role, delete, and each user's API keys.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { useCreateUser, useDeleteUser, useUpdateUser, useUsers } from '../api/admin';
import type { User } from '../api/types';
import { ApiKeys } from '../account/ApiKeys';
import { useMe } from '../app/auth';
import { ErrorNote, Field, formatDate } from '../ui/kit';
import { ConfirmButton, FormFoot, ListPage, ListRow } from '../ui/ListPage';
import '../admin/admin.css';

function NewUser({ onDone }: { onDone: (name: string) => void }) {
  const create = useCreateUser();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  const [role, setRole] = useState<'normal' | 'admin'>('normal');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { username: username.trim(), password, first_name: first, last_name: last, role },
      {
        onSuccess: () => {
          setPassword('');
          onDone(username.trim());
        },
      },
    );
  };
  const problems = create.error instanceof ApiError ? create.error.fieldProblems() : {};
  return (
    <form className="card form section" onSubmit={submit} aria-label="New user" autoComplete="off">
      <h2>New user</h2>
      <div className="form-grid">
        <Field label="Username" problem={problems.username}>
          {(id, d) => <input id={id} required maxLength={150} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} aria-describedby={d} autoFocus />}
        </Field>
        <Field label="Password" hint="At least 8 characters. Tell it to the user by a safe way." problem={problems.password}>
          {(id, d) => <input id={id} type="password" required minLength={8} autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={d} />}
        </Field>
        <Field label="Role">
          {(id) => (
            <select id={id} value={role} onChange={(e) => setRole(e.target.value as 'normal' | 'admin')}>
              <option value="normal">User</option>
              <option value="admin">Administrator</option>
            </select>
          )}
        </Field>
        <Field label="First name (optional)">{(id) => <input id={id} value={first} onChange={(e) => setFirst(e.target.value)} />}</Field>
        <Field label="Last name (optional)">{(id) => <input id={id} value={last} onChange={(e) => setLast(e.target.value)} />}</Field>
      </div>
      <FormFoot submit="Create user" pending={create.isPending} error={create.error} atFields={['username', 'password']} onCancel={() => onDone('')} />
    </form>
  );
}

// An administrator's reset of a user's password: every session and named
// key of the user is revoked with it (the account may be compromised).
function SetPassword({ u, onDone }: { u: User; onDone: (set: boolean) => void }) {
  const update = useUpdateUser();
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!window.confirm(`Set a new password for ${u.username}? Every session and API key of theirs stops working.`)) return;
    update.mutate({ id: u.id, body: { password } }, { onSuccess: () => { setPassword(''); onDone(true); } });
  };
  const problems = update.error instanceof ApiError ? update.error.fieldProblems() : {};
  return (
    <form className="inline-form" onSubmit={submit} aria-label={`Set the password of ${u.username}`}>
      <Field label={`New password for ${u.username}`} hint="At least 8 characters." problem={problems.password}>
        {(id, d) => <input id={id} type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={d} />}
      </Field>
      <button type="submit" className="primary" disabled={update.isPending}>
        Set password
      </button>
      <button type="button" onClick={() => onDone(false)}>
        Cancel
      </button>
      {!problems.password && <ErrorNote error={update.error} />}
    </form>
  );
}

function Row({ u, isSelf }: { u: User; isSelf: boolean }) {
  const update = useUpdateUser();
  const remove = useDeleteUser();
  const [showKeys, setShowKeys] = useState(false);
  const [settingPassword, setSettingPassword] = useState(false);
  const [passwordSet, setPasswordSet] = useState(false);
  const fullName = [u.first_name, u.last_name].filter(Boolean).join(' ');
  return (
    <ListRow
      testId={`user-${u.username}`}
      actions={
        <>
          <button type="button" aria-expanded={showKeys} aria-label={`API keys of ${u.username}`} onClick={() => setShowKeys(!showKeys)}>
            Keys
          </button>
          {!isSelf && (
            <button type="button" aria-expanded={settingPassword} aria-label={`Set a password for ${u.username}`} onClick={() => { setPasswordSet(false); setSettingPassword(!settingPassword); }}>
              Password
            </button>
          )}
          {!isSelf && (
            <ConfirmButton
              danger
              label={`Delete ${u.username}`}
              disabled={remove.isPending}
              question={`Delete the user "${u.username}"? They can no longer log in and every key of theirs is refused. The name stays taken.`}
              onConfirm={() => remove.mutate(u.id)}
            >
              Delete
            </ConfirmButton>
          )}
        </>
      }
      detail={
        (showKeys || settingPassword || passwordSet || update.error || remove.error) && (
          <>
            <ErrorNote error={update.error || remove.error} />
            {settingPassword && <SetPassword u={u} onDone={(set) => { setSettingPassword(false); setPasswordSet(set); }} />}
            {passwordSet && !settingPassword && (
              <p className="ok" role="status">
                Password set. {u.username}'s sessions and API keys have been revoked.
              </p>
            )}
            {showKeys && (
              <section aria-label={`API keys of ${u.username}`}>
                <h3>API keys of {u.username}</h3>
                <ApiKeys userId={isSelf ? 'me' : u.id} owner={u.username} />
              </section>
            )}
          </>
        )
      }
    >
      <td>
        {u.username}
        {isSelf && <span className="muted"> (you)</span>}
      </td>
      <td>{fullName || '—'}</td>
      <td>
        <label>
          <span className="sr-only">Role of {u.username}</span>
          <select
            value={u.role}
            disabled={update.isPending}
            onChange={(e) => {
              const role = e.target.value as 'admin' | 'normal';
              if (isSelf && role !== 'admin' && !window.confirm('Take away your own administrator role? You will lose access to this page.')) return;
              update.mutate({ id: u.id, body: { role } });
            }}
          >
            <option value="normal">User</option>
            <option value="admin">Administrator</option>
          </select>
        </label>
      </td>
      <td>{u.mfa_enabled ? 'on' : 'off'}</td>
      <td>{u.key_count}</td>
      <td>{formatDate(u.created_at)}</td>
    </ListRow>
  );
}

export default function Users() {
  const list = useUsers();
  const me = useMe();
  return (
    <ListPage
      title="Users"
      noun="user"
      items={list.data?.users}
      loading={list.isLoading}
      error={list.error}
      columns={['Username', 'Name', 'Role', 'Two-factor', 'Keys', 'Created']}
      rowKey={(u) => u.id}
      row={(u) => <Row u={u} isSelf={u.id === me.data?.id} />}
      form={(done) => <NewUser onDone={done} />}
      created={(name) => <>User "{name}" created.</>}
    />
  );
}
