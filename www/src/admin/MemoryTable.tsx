// One kind of agent memory as a table with paging, a check box per row and
// "Delete selected". Each kind says its columns and how to delete.
import { useEffect, useState, type ReactNode } from 'react';
import { useDeleteMemories, useMemoryList, type MemoryKind } from '../api/admin';
import { ErrorNote, Loading } from '../ui/kit';

export interface Column<T> {
  title: string;
  cell: (row: T) => ReactNode;
}

interface Props<T> {
  kind: MemoryKind;
  what: string; // "facts", for sentences
  columns: Column<T>[];
  idOf: (row: T) => string;
  // What a row's check box is called ("fact favourite_colour").
  labelOf: (row: T) => string;
  filters?: Record<string, string | undefined>;
  // The batch-delete body for the selected ids (checkpoints differ).
  deleteBody?: (ids: string[]) => { ids: string[] } | { checkpoint_ids?: string[]; thread_ids?: string[] };
}

const PAGE = 50;

export function MemoryTable<T>({ kind, what, columns, idOf, labelOf, filters, deleteBody }: Props<T>) {
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const list = useMemoryList<T>(kind, { limit: PAGE, offset, ...filters });
  const remove = useDeleteMemories(kind);
  const filterKey = JSON.stringify(filters ?? {});
  useEffect(() => {
    setOffset(0);
    setSelected(new Set());
  }, [filterKey]);

  const rows = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  const allOnPage = rows.length > 0 && rows.every((r) => selected.has(idOf(r)));
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const toggleAll = () => {
    const next = new Set(selected);
    rows.forEach((r) => (allOnPage ? next.delete(idOf(r)) : next.add(idOf(r))));
    setSelected(next);
  };
  const doDelete = () => {
    const ids = [...selected];
    if (!window.confirm(`Delete ${ids.length} ${what}? This cannot be undone.`)) return;
    remove.mutate(deleteBody ? deleteBody(ids) : { ids }, { onSuccess: () => setSelected(new Set()) });
  };

  return (
    <div className="stack">
      <div className="row">
        <span className="muted" role="status">
          {list.data ? `${total} ${what}` : ''}
          {selected.size > 0 ? `, ${selected.size} selected` : ''}
        </span>
        <button type="button" className="danger" disabled={selected.size === 0 || remove.isPending} onClick={doDelete}>
          Delete selected
        </button>
      </div>
      <ErrorNote error={remove.error} />
      {list.isLoading && <Loading />}
      <ErrorNote error={list.error} />
      {list.data && rows.length === 0 && <p className="muted">No {what}.</p>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table aria-label={what}>
            <thead>
              <tr>
                <th>
                  <input type="checkbox" aria-label={`Select every row on this page`} checked={allOnPage} onChange={toggleAll} />
                </th>
                {columns.map((c) => (
                  <th key={c.title}>{c.title}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const id = idOf(r);
                return (
                  <tr key={id}>
                    <td>
                      <input type="checkbox" aria-label={`Select ${labelOf(r)}`} checked={selected.has(id)} onChange={() => toggle(id)} />
                    </td>
                    {columns.map((c) => (
                      <td key={c.title} className="cell-clip">
                        {c.cell(r)}
                      </td>
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {total > PAGE && (
        <nav className="pager" aria-label={`Pages of ${what}`}>
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE, total)} of {total}
          </span>
          <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
            Next
          </button>
        </nav>
      )}
    </div>
  );
}
