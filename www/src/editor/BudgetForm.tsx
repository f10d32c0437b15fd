// The workflow's LLM budget (doc/budgets.md): four limits, each empty for
// none, and what today's calls used.
import { useState, type FormEvent } from 'react';
import type { Budget } from '../api/editor';
import { ErrorNote, Field } from '../ui/kit';

const LIMITS: { key: keyof Budget; label: string; integer: boolean }[] = [
  { key: 'max_tokens_per_day', label: 'Tokens per day', integer: true },
  { key: 'max_tokens_per_execution', label: 'Tokens per run', integer: true },
  { key: 'max_usd_per_day', label: 'USD per day', integer: false },
  { key: 'max_usd_per_execution', label: 'USD per run', integer: false },
];

interface Props {
  budget: Budget;
  today: { tokens: number; usd: number };
  onSave: (b: Budget) => Promise<void>;
  onClose: () => void;
}

export function BudgetForm({ budget, today, onSave, onClose }: Props) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(LIMITS.map((l) => [l.key, budget[l.key] == null ? '' : String(budget[l.key])])),
  );
  const [problem, setProblem] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const out: Record<string, number | null> = {};
    const bad: Record<string, string> = {};
    for (const l of LIMITS) {
      const t = values[l.key].trim();
      if (t === '') {
        out[l.key] = null;
        continue;
      }
      const n = Number(t);
      if (!Number.isFinite(n) || n < 0 || (l.integer && !Number.isInteger(n))) bad[l.key] = l.integer ? 'A whole number from 0, or empty for no limit.' : 'A number from 0, or empty for no limit.';
      else out[l.key] = n;
    }
    setProblem(bad);
    if (Object.keys(bad).length) return;
    setBusy(true);
    setError(null);
    try {
      await onSave(out as unknown as Budget);
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="budget-form" onSubmit={submit} aria-label="Budget">
      <p className="muted small" data-testid="budget-today">
        Used today: {today.tokens.toLocaleString()} tokens, ${today.usd.toFixed(4)}
      </p>
      {LIMITS.map((l) => (
        <Field key={l.key} label={l.label} problem={problem[l.key]} hint="Empty: no limit">
          {(id, d) => (
            <input id={id} aria-describedby={d} inputMode="decimal" value={values[l.key]} onChange={(e) => setValues((v) => ({ ...v, [l.key]: e.target.value }))} />
          )}
        </Field>
      ))}
      <ErrorNote error={error} />
      <div className="side-actions">
        <button type="submit" className="primary" disabled={busy}>
          Save budget
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
