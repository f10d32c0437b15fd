// Who is signed in. The key lives in api/session; this exposes the user
// (GET /users/me) to pages and guards the routes that need a session.
import { useEffect, useState } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { get } from '../api/client';
import { onSessionChange, sessionKey } from '../api/session';
import type { User } from '../api/types';

export function useSessionKey(): string | null {
  const [key, setKey] = useState(sessionKey());
  useEffect(() => onSessionChange(setKey), []);
  return key;
}

export function useMe() {
  const key = useSessionKey();
  return useQuery({
    queryKey: ['me', key],
    queryFn: () => get<User>('/users/me'),
    enabled: !!key,
    staleTime: 60_000,
  });
}

export function useIsAdmin(): boolean {
  return useMe().data?.role === 'admin';
}

// Where the login page sends the user back to.
export function loginPath(from: { pathname: string; search: string; hash: string }): string {
  const next = from.pathname + from.search + from.hash;
  return next && next !== '/' && !next.startsWith('/login') ? `/login?next=${encodeURIComponent(next)}` : '/login';
}

export function RequireAuth({ children }: { children: JSX.Element }) {
  const key = useSessionKey();
  const location = useLocation();
  const qc = useQueryClient();
  useEffect(() => {
    if (!key) qc.clear();
  }, [key, qc]);
  if (!key) return <Navigate to={loginPath(location)} replace />;
  return children;
}

export function RequireAdmin({ children }: { children: JSX.Element }) {
  const me = useMe();
  if (me.isLoading) return <p role="status">Loading…</p>;
  if (me.data?.role !== 'admin') return <p role="alert">This page is for administrators.</p>;
  return children;
}
