// Changing one's own password (PATCH /users/me with the current one). It
// ends the user's other sessions; this one and named API keys stay.
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { useUpdateMe } from '../api/account';
import { ErrorNote, Field } from '../ui/kit';

export function PasswordForm() {
  const update = useUpdateMe();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    if (next !== again) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    update.mutate(
      { current_password: current, password: next },
      {
        onSuccess: () => {
          setCurrent('');
          setNext('');
          setAgain('');
          setDone(true);
        },
      },
    );
  };

  const err = update.error;
  const problems = err instanceof ApiError ? err.fieldProblems() : {};
  const wrongCurrent = err instanceof ApiError && err.status === 400 ? err.message : undefined;

  return (
    <form className="form narrow" onSubmit={submit} aria-label="Change your password">
      <Field label="Current password" problem={wrongCurrent ?? problems.current_password}>
        {(id, d) => <input id={id} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} aria-describedby={d} />}
      </Field>
      <Field label="New password" hint="At least 8 characters." problem={problems.password}>
        {(id, d) => <input id={id} type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} aria-describedby={d} />}
      </Field>
      <Field label="New password again" problem={mismatch ? 'The two new passwords differ.' : undefined}>
        {(id, d) => <input id={id} type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} aria-describedby={d} />}
      </Field>
      {!wrongCurrent && !Object.keys(problems).length && <ErrorNote error={err} />}
      {done && (
        <p className="ok" role="status">
          Password changed. Your other sessions have been logged out; API keys keep working.
        </p>
      )}
      <div>
        <button type="submit" className="primary" disabled={update.isPending}>
          Change password
        </button>
      </div>
    </form>
  );
}
