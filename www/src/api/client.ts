// Every call the UI makes to the API goes through api(): one place for the
// key, the JSON, the error shape and what a 401 means.
import { sessionKey, setSessionKey } from './session';

export const API_BASE = '/api/v1';

// One field problem of a 422 (FastAPI's shape, which the API keeps).
export interface FieldProblem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

// Any refusal: the status, a readable message and the raw detail.
export class ApiError extends Error {
  status: number;
  detail: unknown;
  retryAfter: number | null;

  constructor(status: number, detail: unknown, retryAfter: number | null) {
    super(describeDetail(status, detail));
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
    this.retryAfter = retryAfter;
  }

  // The problems of a 422 by field name (the last part of loc), for forms.
  fieldProblems(): Record<string, string> {
    const out: Record<string, string> = {};
    if (Array.isArray(this.detail)) {
      for (const p of this.detail as FieldProblem[]) {
        const name = String(p.loc?.[p.loc.length - 1] ?? '');
        if (name && !(name in out)) out[name] = p.msg;
      }
    }
    return out;
  }
}

// A sentence for any detail the API may send: a string, a list of field
// problems, or {validation_errors: [...]} for an edge's type check.
export function describeDetail(status: number, detail: unknown): string {
  if (typeof detail === 'string' && detail) return detail;
  if (Array.isArray(detail)) {
    const msgs = (detail as FieldProblem[]).map((p) => {
      const where = (p.loc || []).filter((x) => x !== 'body').join('.');
      return where ? `${where}: ${p.msg}` : p.msg;
    });
    if (msgs.length) return msgs.join('; ');
  }
  if (detail && typeof detail === 'object') {
    const errs = (detail as { validation_errors?: unknown }).validation_errors;
    if (Array.isArray(errs) && errs.length) return errs.map(String).join('; ');
  }
  if (status === 0) return 'The server cannot be reached. Check your connection and try again.';
  if (status === 503 || status === 507) return 'The server is busy or unavailable; try again shortly.';
  return `The request failed (HTTP ${status}).`;
}

// What a 401 does: forget the key and send the browser to the login page,
// which brings the user back here afterwards. Set by the app at start.
let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(h: (() => void) | null): void {
  onUnauthorized = h;
}

export interface ApiOptions {
  body?: unknown;
  // A 401 from this call is an answer (a wrong password), not an expired session.
  authAttempt?: boolean;
  signal?: AbortSignal;
  // Extra headers (e.g. Last-Event-ID is not needed here; kept general).
  headers?: Record<string, string>;
}

export async function api<T = unknown>(method: string, path: string, opts: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers || {}) };
  const key = sessionKey();
  if (key && !opts.authAttempt) headers.Authorization = `Bearer ${key}`;
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(API_BASE + path, { method, headers, body, signal: opts.signal, credentials: 'same-origin' });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, null, null);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const detail = data && typeof data === 'object' && 'detail' in (data as object) ? (data as { detail: unknown }).detail : data;
    const ra = res.headers.get('Retry-After');
    if (res.status === 401 && !opts.authAttempt && key) {
      setSessionKey(null);
      onUnauthorized?.();
    }
    throw new ApiError(res.status, detail, ra ? Number(ra) : null);
  }
  return data as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>('GET', path, { signal });
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, { body: body ?? {} });
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, { body });
export const del = <T = void>(path: string) => api<T>('DELETE', path);

// A query string from the defined values of params.
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
