// Two-factor login (TOTP): enrol with a QR code or the secret typed in by
// hand, confirm with a first code, or turn it off with a current code.
import { useState, type FormEvent } from 'react';
import { useMfaDisable, useMfaSetup, useMfaStatus, useMfaVerify } from '../api/account';
import { ErrorNote, Field, Loading } from '../ui/kit';
import { QrCode } from './QrCode';

function CodeField({ label, value, onChange }: { label: string; value: string; onChange: (v: string) => void }) {
  return (
    <Field label={label} hint="6 digits from your authenticator app.">
      {(id, d) => (
        <input
          id={id}
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]{6}"
          maxLength={6}
          required
          value={value}
          onChange={(e) => onChange(e.target.value.replace(/\D/g, ''))}
          aria-describedby={d}
        />
      )}
    </Field>
  );
}

// The secret in groups of four, easier to type into an app.
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export function MfaPanel() {
  const status = useMfaStatus();
  const setup = useMfaSetup();
  const verify = useMfaVerify();
  const disable = useMfaDisable();
  const [code, setCode] = useState('');
  const [done, setDone] = useState<string | null>(null);

  if (status.isLoading) return <Loading what="Loading the two-factor status" />;
  if (status.error) return <ErrorNote error={status.error} />;
  const enabled = !!status.data?.mfa_enabled;

  const submitVerify = (e: FormEvent) => {
    e.preventDefault();
    verify.mutate(code, {
      onSuccess: () => {
        setCode('');
        setup.reset();
        setDone('Two-factor login is on. From now on you log in with your password and a code from the app.');
      },
    });
  };
  const submitDisable = (e: FormEvent) => {
    e.preventDefault();
    disable.mutate(code, {
      onSuccess: () => {
        setCode('');
        setDone('Two-factor login is off. Your password alone logs you in.');
      },
    });
  };

  return (
    <div className="stack">
      <p>
        Status:{' '}
        <strong data-testid="mfa-state" className={enabled ? 'ok' : 'muted'}>
          {enabled ? 'on' : 'off'}
        </strong>
      </p>
      {done && (
        <p className="ok" role="status">
          {done}
        </p>
      )}
      {enabled ? (
        <form className="inline-form" onSubmit={submitDisable} aria-label="Turn two-factor login off">
          <CodeField label="Current code" value={code} onChange={setCode} />
          <button type="submit" className="danger" disabled={disable.isPending || code.length !== 6}>
            Turn two-factor login off
          </button>
          <ErrorNote error={disable.error} />
        </form>
      ) : !setup.data ? (
        <div>
          <p className="muted">With two-factor login, a password alone no longer gets into your account: each login also asks for a code from an authenticator app on your phone.</p>
          <button
            type="button"
            className="primary"
            disabled={setup.isPending}
            onClick={() => {
              setDone(null);
              verify.reset();
              setup.mutate();
            }}
          >
            Set up two-factor login
          </button>
          <ErrorNote error={setup.error} />
        </div>
      ) : (
        <div className="mfa-enrol">
          <ol className="steps">
            <li>
              <p>Scan this code with your authenticator app:</p>
              <QrCode text={setup.data.provisioning_uri} label="QR code to add this account to an authenticator app" />
            </li>
            <li>
              <p>Or type this secret into the app by hand:</p>
              <p>
                <code className="secret" data-testid="mfa-secret" data-secret={setup.data.secret}>
                  {groupSecret(setup.data.secret)}
                </code>
              </p>
            </li>
            <li>
              <form className="inline-form" onSubmit={submitVerify} aria-label="Confirm two-factor login">
                <CodeField label="Code from the app" value={code} onChange={setCode} />
                <button type="submit" className="primary" disabled={verify.isPending || code.length !== 6}>
                  Turn on
                </button>
                <button type="button" onClick={() => setup.reset()}>
                  Cancel
                </button>
              </form>
              <ErrorNote error={verify.error} />
            </li>
          </ol>
        </div>
      )}
    </div>
  );
}
