// Schedules: workflows started every N seconds or at cron times. Each row
// can show its next runs, be changed, paused, resumed or deleted.
import { useState } from 'react';
import { describeTiming, wallClock, useDeleteSchedule, useNextRuns, useScheduleAction, useSchedules, useWorkflowBriefs, type Schedule } from '../api/admin';
import { ScheduleForm } from '../admin/ScheduleForm';
import { ErrorNote, Loading, formatDate } from '../ui/kit';
import { ConfirmButton, ListPage, ListRow } from '../ui/ListPage';
import '../admin/admin.css';

const STATUS_WORDS: Record<string, string> = { active: 'active', paused: 'paused', done: 'done', dead: 'stopped after failures', stopped: 'stopped' };
const STATUS_CLASS: Record<string, string> = { active: 'status-running', paused: 'status-waiting', done: 'status-success', dead: 'status-failed', stopped: 'status-cancelled' };

function NextRuns({ id }: { id: string }) {
  const runs = useNextRuns(id);
  if (runs.isLoading) return <Loading what="Working out the next runs" />;
  if (runs.error) return <ErrorNote error={runs.error} />;
  const list = runs.data?.next_runs ?? [];
  if (!list.length) return <p className="muted">No run is due (the schedule is not active).</p>;
  return (
    <ol className="runs" aria-label="Next runs">
      {list.map((r) => (
        <li key={r}>
          <time dateTime={r}>{wallClock(r)}</time> <span className="muted">({formatDate(r)} here)</span>
        </li>
      ))}
    </ol>
  );
}

function Row({ s, workflow }: { s: Schedule; workflow: string }) {
  const [open, setOpen] = useState(false);
  const [editing, setEditing] = useState(false);
  const act = useScheduleAction();
  const remove = useDeleteSchedule();
  return (
    <ListRow
      testId={`schedule-${s.name}`}
      actions={
        <>
          <button type="button" aria-expanded={open} aria-label={`Next runs of ${s.name}`} onClick={() => setOpen(!open)}>
            Next runs
          </button>
          <button type="button" aria-expanded={editing} aria-label={`Change ${s.name}`} onClick={() => setEditing(!editing)}>
            Change
          </button>
          {s.status === 'active' && (
            <button type="button" aria-label={`Pause ${s.name}`} disabled={act.isPending} onClick={() => act.mutate({ id: s.id, action: 'pause' })}>
              Pause
            </button>
          )}
          {s.status === 'paused' && (
            <button type="button" aria-label={`Resume ${s.name}`} disabled={act.isPending} onClick={() => act.mutate({ id: s.id, action: 'resume' })}>
              Resume
            </button>
          )}
          <ConfirmButton
            danger
            label={`Delete ${s.name}`}
            disabled={remove.isPending}
            question={`Delete the schedule "${s.name}"? It will not start the workflow again.`}
            onConfirm={() => remove.mutate(s.id)}
          >
            Delete
          </ConfirmButton>
        </>
      }
      detail={
        (open || editing || act.error || remove.error) && (
          <>
            {editing && <ScheduleForm schedule={s} onDone={() => setEditing(false)} />}
            {open && <NextRuns id={s.id} />}
            <ErrorNote error={act.error || remove.error} />
          </>
        )
      }
    >
      <td>{s.name}</td>
      <td>{workflow}</td>
      <td className="mono">{describeTiming(s)}</td>
      <td>
        <span className={`badge ${STATUS_CLASS[s.status] ?? ''}`} data-status={s.status}>
          {STATUS_WORDS[s.status] ?? s.status}
        </span>
        {s.last_error && <div className="error cell-clip">{s.last_error}</div>}
      </td>
      <td>{s.status === 'active' ? formatDate(s.next_run_at) : '—'}</td>
      <td>
        {s.run_count}
        {s.total_repeats > 0 ? ` of ${s.total_repeats}` : ''}
        {s.error_count > 0 && <span className="error"> ({s.error_count} failed)</span>}
      </td>
    </ListRow>
  );
}

export default function Schedules() {
  const list = useSchedules();
  const workflows = useWorkflowBriefs();
  const names = new Map((workflows.data?.items ?? []).map((w) => [w.id, w.name]));
  return (
    <ListPage
      title="Schedules"
      noun="schedule"
      items={list.data?.items}
      loading={list.isLoading}
      error={list.error}
      columns={['Name', 'Workflow', 'When', 'Status', 'Next run', 'Runs']}
      rowKey={(s) => s.id}
      row={(s) => <Row s={s} workflow={names.get(s.workflow_id) ?? `#${s.workflow_id}`} />}
      empty="No schedules. A schedule starts a workflow through its schedule trigger, at an interval or at cron times."
      form={(done) => <ScheduleForm onDone={done} />}
      created={(name) => <>Schedule "{name}" created.</>}
    />
  );
}
