// The page every administrative list shares (credentials, workspaces,
// schedules, users): a title with a "New …" button that opens the create
// form, a line saying what was just created, loading / error / empty states
// and a table whose rows may open a detail row under them. Pages give the
// columns, the rows and the form; this file gives the behaviour, so the
// lists look, announce and confirm alike.
import { Fragment, createContext, useContext, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { ErrorNote, Loading, Page } from './kit';

// How many cells a row spans (the columns plus the actions), for detail rows.
const Span = createContext(1);

interface ListPageProps<T> {
  title: string;
  // "New <noun>" opens the form.
  noun: string;
  items: T[] | undefined;
  loading: boolean;
  error: unknown;
  columns: string[];
  rowKey: (item: T) => string | number;
  row: (item: T) => ReactNode;
  // Said when the list is empty (omitted: the table is shown empty).
  empty?: ReactNode;
  intro?: ReactNode;
  // The create form; it calls done with the created item's name, or '' when cancelled.
  form?: (done: (name: string) => void) => ReactNode;
  created?: (name: string) => ReactNode;
}

export function ListPage<T>({ title, noun, items, loading, error, columns, rowKey, row, empty, intro, form, created }: ListPageProps<T>) {
  const [adding, setAdding] = useState(false);
  const [saved, setSaved] = useState('');
  const done = (name: string) => {
    setAdding(false);
    setSaved(name);
  };
  return (
    <Page
      title={title}
      actions={
        form &&
        !adding && (
          <button type="button" className="primary" onClick={() => { setSaved(''); setAdding(true); }}>
            New {noun}
          </button>
        )
      }
    >
      {intro}
      {adding && form?.(done)}
      {saved && created && (
        <p className="ok" role="status">
          {created(saved)}
        </p>
      )}
      {loading && <Loading />}
      <ErrorNote error={error} />
      {items && items.length === 0 && empty !== undefined && <p className="muted">{empty}</p>}
      {items && (items.length > 0 || empty === undefined) && (
        <div className="table-wrap">
          <ListTable label={title} columns={columns}>
            {items.map((item) => (
              <Fragment key={rowKey(item)}>{row(item)}</Fragment>
            ))}
          </ListTable>
        </div>
      )}
    </Page>
  );
}

// A list's table: the column heads, a last one for the buttons (named for
// screen readers only), and the rows.
export function ListTable({ label, columns, children }: { label: string; columns: string[]; children: ReactNode }) {
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>{c}</th>
          ))}
          <th>
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        <Span.Provider value={columns.length + 1}>{children}</Span.Provider>
      </tbody>
    </table>
  );
}

// One item: its cells, its buttons (last column), and, when detail is
// something to show, a row under it across the whole table.
export function ListRow({ testId, actions, detail, children }: { testId: string; actions: ReactNode; detail?: ReactNode; children: ReactNode }) {
  const span = useContext(Span);
  return (
    <>
      <tr data-testid={testId}>
        {children}
        <td className="actions">{actions}</td>
      </tr>
      {detail ? (
        <tr>
          <td colSpan={span}>{detail}</td>
        </tr>
      ) : null}
    </>
  );
}

// A button that asks first (a destructive change: delete, reset).
export function ConfirmButton({
  label,
  question,
  onConfirm,
  disabled,
  danger,
  children,
}: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
  danger?: boolean;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={danger ? 'danger' : undefined}
      aria-label={label}
      disabled={disabled}
      onClick={() => {
        if (window.confirm(question)) onConfirm();
      }}
    >
      {children}
    </button>
  );
}

// The foot of a create or edit form: submit, cancel, and the server's
// refusal, unless every problem it names is shown at one of the form's
// fields (atFields: the names of the fields that show their problem).
export function FormFoot({ submit, pending, error, atFields = [], onCancel }: { submit: string; pending: boolean; error: unknown; atFields?: string[]; onCancel: () => void }) {
  const named = error instanceof ApiError ? Object.keys(error.fieldProblems()) : [];
  const allAtFields = named.length > 0 && named.every((n) => atFields.includes(n));
  return (
    <>
      {!allAtFields && <ErrorNote error={error} />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={pending}>
          {submit}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}
