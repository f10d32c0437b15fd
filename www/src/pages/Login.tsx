// Login: the password step, then the MFA step when the account has it.
// After it, the user goes back to where a 401 took them from.
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { ApiError, api, get } from '../api/client';
import { setSessionKey } from '../api/session';
import { ErrorNote, Field, Page } from '../ui/kit';

interface TokenOut {
  key: string;
  requires_mfa: boolean;
  mfa_token?: string;
}

// Only a path of this site, never another origin.
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function Login() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const setup = useQuery({ queryKey: ['setup-status'], queryFn: () => get<{ needs_setup: boolean }>('/auth/setup-status/') });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (setup.data?.needs_setup) return <Navigate to="/setup" replace />;

  const signedIn = (key: string) => {
    setSessionKey(key);
    navigate(safeNext(params.get('next')), { replace: true });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mfaToken === null) {
        const t = await api<TokenOut>('POST', '/auth/token/', { body: { username, password }, authAttempt: true });
        if (t.requires_mfa) setMfaToken(t.mfa_token ?? '');
        else signedIn(t.key);
      } else {
        const body: Record<string, string> = { code };
        if (mfaToken) body.mfa_token = mfaToken;
        else body.username = username;
        const t = await api<TokenOut>('POST', '/auth/mfa/login-verify/', { body, authAttempt: true });
        signedIn(t.key);
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && mfaToken !== null) setError(new Error('That code is not valid. Enter the current code from your authenticator app.'));
      else if (err instanceof ApiError && err.status === 401) setError(new Error('Wrong username or password.'));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="centered">
      <Page title="Log in">
        <form onSubmit={submit} className="card form" aria-describedby={error ? 'login-error' : undefined}>
          {mfaToken === null ? (
            <>
              <Field label="Username">
                {(id) => <input id={id} name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />}
              </Field>
              <Field label="Password">
                {(id) => <input id={id} name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}
              </Field>
            </>
          ) : (
            <Field label="Authentication code" hint="The 6-digit code from your authenticator app.">
              {(id, d) => (
                <input id={id} name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} required value={code} onChange={(e) => setCode(e.target.value.trim())} aria-describedby={d} autoFocus />
              )}
            </Field>
          )}
          <div id="login-error">
            <ErrorNote error={error} />
          </div>
          <button type="submit" className="primary" disabled={busy}>
            {mfaToken === null ? 'Log in' : 'Verify'}
          </button>
        </form>
      </Page>
    </div>
  );
}
