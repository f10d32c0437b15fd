// A schedule's form: which workflow and trigger it fires (when it is new),
// and when (every N units, or a cron expression in a time zone, previewed
// while typed). Given a schedule, the form edits it: the workflow and the
// trigger stay, the rest is sent as a PATCH of what changed.
import { useId, useMemo, useState, type FormEvent } from 'react';
import { ApiError } from '../api/client';
import { UNITS, intervalParts, scheduleChanges, wallClock, useCreateSchedule, useScheduleTriggers, useUpdateSchedule, useWorkflowBriefs, type MissedRuns, type Schedule, type ScheduleIn } from '../api/admin';
import { Field, formatDate } from '../ui/kit';
import { FormFoot } from '../ui/ListPage';
import { useCronPreview } from './useCronPreview';

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function knownZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

export function ScheduleForm({ onDone, schedule }: { onDone: (name: string) => void; schedule?: Schedule }) {
  const workflows = useWorkflowBriefs();
  const create = useCreateSchedule();
  const update = useUpdateSchedule();
  const save = schedule ? update : create;
  const s = schedule;
  const interval = intervalParts(s?.interval_seconds ?? 300);
  const [name, setName] = useState(s?.name ?? '');
  const [workflowId, setWorkflowId] = useState(s ? String(s.workflow_id) : '');
  const [trigger, setTrigger] = useState(s?.trigger_node_id ?? '');
  const [kind, setKind] = useState<'interval' | 'cron'>(s?.cron ? 'cron' : 'interval');
  const [every, setEvery] = useState(interval.every);
  const [unit, setUnit] = useState(interval.unit);
  const [cron, setCron] = useState(s?.cron ?? '0 9 * * 1-5');
  const [zone, setZone] = useState(s?.timezone ?? browserZone());
  const [repeats, setRepeats] = useState(String(s?.total_repeats ?? 0));
  const [missed, setMissed] = useState<MissedRuns>(s?.missed_runs ?? 'skip');
  const [payload, setPayload] = useState(s?.trigger_payload ? JSON.stringify(s.trigger_payload) : '');
  const formName = s ? `Change schedule ${s.name}` : 'New schedule';
  // Several forms may be open at once (a new one and edits): their radio
  // groups and zone lists must not share names.
  const uid = useId();
  const [localError, setLocalError] = useState<string | null>(null);
  const zones = useMemo(knownZones, []);

  const slug = workflows.data?.items.find((w) => String(w.id) === workflowId)?.slug ?? null;
  const triggers = useScheduleTriggers(s ? null : slug);
  const preview = useCronPreview(kind === 'cron' ? cron : '', zone);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setLocalError(null);
    const body: ScheduleIn = { name: name.trim(), workflow_id: Number(workflowId), trigger_node_id: trigger || null, missed_runs: missed };
    if (kind === 'interval') body.interval_seconds = Math.round(Number(every) * Number(unit));
    else {
      body.cron = cron.trim();
      body.timezone = zone.trim() || 'UTC';
    }
    if (repeats.trim()) body.total_repeats = Number(repeats);
    if (payload.trim()) {
      try {
        const p = JSON.parse(payload);
        if (!p || typeof p !== 'object' || Array.isArray(p)) throw new Error();
        body.trigger_payload = p;
      } catch {
        setLocalError('The payload must be a JSON object, e.g. {"report": "daily"}.');
        return;
      }
    }
    if (!s) {
      create.mutate(body, { onSuccess: () => onDone(body.name) });
      return;
    }
    const changes = scheduleChanges(s, { ...body, trigger_payload: body.trigger_payload ?? null });
    if (!Object.keys(changes).length) onDone(s.name);
    else update.mutate({ id: s.id, body: changes }, { onSuccess: () => onDone(body.name) });
  };

  const problems = save.error instanceof ApiError ? save.error.fieldProblems() : {};
  const noTriggers = triggers.data && triggers.data.length === 0;

  return (
    <form className={s ? 'form' : 'card form section'} onSubmit={submit} aria-label={formName}>
      <h2>{formName}</h2>
      <div className="form-grid">
        <Field label="Name" problem={problems.name}>
          {(id, d) => <input id={id} required maxLength={255} value={name} onChange={(e) => setName(e.target.value)} aria-describedby={d} autoFocus />}
        </Field>
        {!s && (
          <>
            <Field label="Workflow" problem={problems.workflow_id}>
              {(id, d) => (
                <select id={id} required value={workflowId} onChange={(e) => { setWorkflowId(e.target.value); setTrigger(''); }} aria-describedby={d}>
                  <option value="">Choose a workflow…</option>
                  {workflows.data?.items.map((w) => (
                    <option key={w.id} value={w.id}>
                      {w.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field
              label="Trigger"
              problem={problems.trigger_node_id}
              hint={noTriggers ? 'This workflow has no schedule trigger: add one in the editor, or runs will fail.' : 'The schedule trigger node it fires.'}
            >
              {(id, d) => (
                <select id={id} value={trigger} onChange={(e) => setTrigger(e.target.value)} aria-describedby={d} disabled={!slug}>
                  <option value="">The workflow's first schedule trigger</option>
                  {triggers.data?.map((n) => (
                    <option key={n.node_id} value={n.node_id}>
                      {n.label ? `${n.label} (${n.node_id})` : n.node_id}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </>
        )}
      </div>
      <fieldset className="row">
        <legend>When</legend>
        <label className="check">
          <input type="radio" name={`${uid}-kind`} checked={kind === 'interval'} onChange={() => setKind('interval')} /> At a fixed interval
        </label>
        <label className="check">
          <input type="radio" name={`${uid}-kind`} checked={kind === 'cron'} onChange={() => setKind('cron')} /> At times (cron)
        </label>
      </fieldset>
      {kind === 'interval' ? (
        <div className="inline-form">
          <Field label="Every" problem={problems.interval_seconds}>
            {(id, d) => <input id={id} type="number" min={1} step={1} required value={every} onChange={(e) => setEvery(e.target.value)} aria-describedby={d} />}
          </Field>
          <Field label="Unit">
            {(id) => (
              <select id={id} value={unit} onChange={(e) => setUnit(e.target.value)}>
                {UNITS.map(([u, n]) => (
                  <option key={u} value={n}>
                    {u}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
      ) : (
        <div className="stack">
          <div className="form-grid">
            <Field label="Cron expression" hint="Minute, hour, day of month, month, day of week; or @daily, @hourly…" problem={problems.cron}>
              {(id, d) => <input id={id} className="mono" required value={cron} onChange={(e) => setCron(e.target.value)} aria-describedby={d} spellCheck={false} />}
            </Field>
            <Field label="Time zone" hint="An IANA zone such as Europe/Paris." problem={problems.timezone}>
              {(id, d) => (
                <>
                  <input id={id} list={`${uid}-zones`} value={zone} onChange={(e) => setZone(e.target.value)} aria-describedby={d} spellCheck={false} />
                  <datalist id={`${uid}-zones`}>
                    {zones.map((z) => (
                      <option key={z} value={z} />
                    ))}
                  </datalist>
                </>
              )}
            </Field>
          </div>
          <div aria-live="polite" data-testid="cron-preview">
            {preview.pending && <p className="muted">Working out the next runs…</p>}
            {!preview.pending && preview.problem && <p className="error">{preview.problem}</p>}
            {!preview.pending && preview.runs.length > 0 && (
              <>
                <p className="muted">Next runs:</p>
                <ol className="runs">
                  {preview.runs.map((r) => (
                    <li key={r}>
                      <time dateTime={r}>{wallClock(r)}</time> <span className="muted">({formatDate(r)} here)</span>
                    </li>
                  ))}
                </ol>
              </>
            )}
          </div>
        </div>
      )}
      <details>
        <summary>More options</summary>
        <div className="form-grid">
          <Field label="Stop after this many runs" hint="0 runs forever." problem={problems.total_repeats}>
            {(id, d) => <input id={id} type="number" min={0} value={repeats} onChange={(e) => setRepeats(e.target.value)} aria-describedby={d} />}
          </Field>
          <Field label="Runs missed while Pipelit was stopped">
            {(id) => (
              <select id={id} value={missed} onChange={(e) => setMissed(e.target.value as MissedRuns)}>
                <option value="skip">Skip them</option>
                <option value="run_once">Run once at start-up</option>
                <option value="catch_up">Run each of them (up to 10)</option>
              </select>
            )}
          </Field>
          <div className="wide-field">
            <Field label="Payload (JSON, optional)" hint="Given to each run as trigger.payload." problem={problems.trigger_payload}>
              {(id, d) => <textarea id={id} rows={2} value={payload} onChange={(e) => setPayload(e.target.value)} aria-describedby={d} placeholder="{}" />}
            </Field>
          </div>
        </div>
      </details>
      {localError && (
        <p className="error" role="alert">
          {localError}
        </p>
      )}
      <FormFoot submit={s ? 'Save schedule' : 'Create schedule'} pending={save.isPending} error={save.error} atFields={['name', 'workflow_id', 'trigger_node_id', 'interval_seconds', 'cron', 'timezone', 'total_repeats', 'trigger_payload']} onCancel={() => onDone('')} />
    </form>
  );
}
