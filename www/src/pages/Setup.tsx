// First run: no user exists yet, so this page creates the administrator.
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { ApiError, api, get } from '../api/client';
import { setSessionKey } from '../api/session';
import { ErrorNote, Field, Loading, Page } from '../ui/kit';

export function Setup() {
  const navigate = useNavigate();
  const status = useQuery({ queryKey: ['setup-status'], queryFn: () => get<{ needs_setup: boolean }>('/auth/setup-status/') });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  if (status.isLoading) return <Loading />;
  if (status.data && !status.data.needs_setup) return <Navigate to="/login" replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setProblems({});
    if (password !== confirm) {
      setProblems({ confirm: 'The two passwords differ.' });
      return;
    }
    setBusy(true);
    try {
      const t = await api<{ key: string }>('POST', '/auth/setup/', { body: { username, password }, authAttempt: true });
      setSessionKey(t.key);
      navigate('/', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) setProblems(err.fieldProblems());
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="centered">
      <Page title="Create the administrator">
        <p className="muted">Pipelit has no users yet. The account you create here administers this installation.</p>
        <form onSubmit={submit} className="card form">
          <Field label="Username" problem={problems.username}>
            {(id, d) => <input id={id} name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} aria-describedby={d} autoFocus />}
          </Field>
          <Field label="Password" hint="At least 8 characters." problem={problems.password}>
            {(id, d) => <input id={id} name="password" type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={d} />}
          </Field>
          <Field label="Password again" problem={problems.confirm}>
            {(id, d) => <input id={id} name="confirm" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} aria-describedby={d} />}
          </Field>
          {!Object.keys(problems).length && <ErrorNote error={error} />}
          <button type="submit" className="primary" disabled={busy}>
            Create administrator
          </button>
        </form>
      </Page>
    </div>
  );
}
