// The editor's two reads (the node-type catalogue and the workflow) start
// as soon as its route renders, so they travel while the editor's code is
// downloaded and parsed instead of after it (bench/ui.sh: navigation to an
// interactive canvas). Kept small and free of the editor's code: the main
// bundle carries it.
import type { QueryClient } from '@tanstack/react-query';
import { get } from '../api/client';
import { sessionKey } from '../api/session';

export const nodeTypesKey = ['node-types'] as const;
export const nodeTypesPath = '/workflows/node-types/';
export const workflowPath = (slug: string) => `/workflows/${encodeURIComponent(slug)}/`;

// A prefetched read older than this is not used: the editor reads afresh.
const FRESH_MS = 15_000;

interface Started {
  at: number;
  promise: Promise<unknown>;
}
const started = new Map<string, Started>();

// Starts the reads of the editor of slug; idempotent while they are fresh.
export function prefetchEditor(qc: QueryClient, slug: string): void {
  if (!sessionKey()) return;
  // The catalogue is kept for the session (staleTime Infinity): a query.
  void qc.prefetchQuery({ queryKey: nodeTypesKey, queryFn: () => get(nodeTypesPath), staleTime: Infinity });
  // The workflow is read once per visit: a promise the editor takes once.
  const path = workflowPath(slug);
  const had = started.get(path);
  if (had && Date.now() - had.at < FRESH_MS) return;
  const promise = get(path);
  promise.catch(() => undefined); // its failure is the editor's to see
  started.set(path, { at: Date.now(), promise });
}

// The workflow's read started by prefetchEditor, taken once; a failed one
// is read again through the usual path (a 401 before the page's handlers
// were in place must still send the user to the login page).
export function takeWorkflow<T>(slug: string, read: () => Promise<T>): Promise<T> {
  const path = workflowPath(slug);
  const had = started.get(path);
  started.delete(path);
  if (!had || Date.now() - had.at >= FRESH_MS) return read();
  return (had.promise as Promise<T>).catch(() => read());
}
