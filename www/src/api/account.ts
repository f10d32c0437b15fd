// The signed-in user's own account: password, names, two-factor login and
// API keys (doc/api.md "auth", "mfa", "users"). An admin's view of another
// user's keys uses the same key shapes (keysPath).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, patch, post } from './client';

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  is_active: boolean;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

// Only in the answer to a create: the full key, never shown again.
export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface MfaStatus {
  mfa_enabled: boolean;
}

export interface MfaSetup {
  provisioning_uri: string;
  secret: string;
}

export interface MeUpdate {
  first_name?: string | null;
  last_name?: string | null;
  password?: string;
  current_password?: string;
}

// Where a user's keys live: one's own, or (admin) another user's.
export function keysPath(userId: number | 'me'): string {
  return userId === 'me' ? '/users/me/keys' : `/users/${userId}/keys`;
}

export function useApiKeys(userId: number | 'me') {
  return useQuery({ queryKey: ['keys', userId], queryFn: () => get<ApiKey[]>(keysPath(userId)) });
}

export function useCreateApiKey(userId: number | 'me') {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; expires_at: string | null }) => post<ApiKeyCreated>(keysPath(userId), body),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: ['keys', userId] });
      qc.invalidateQueries({ queryKey: ['users'] });
    },
  });
}

export function useRevokeApiKey(userId: number | 'me') {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (keyId: number) => del(`${keysPath(userId)}/${keyId}`),
    onSuccess: () => {
      qc.invalidateQueries({ queryKey: ['keys', userId] });
      qc.invalidateQueries({ queryKey: ['users'] });
    },
  });
}

export function useMfaStatus() {
  return useQuery({ queryKey: ['mfa-status'], queryFn: () => get<MfaStatus>('/auth/mfa/status/') });
}

// After any change of the account the cached "me" is stale.  The promise
// holds the mutation until both are read again, so what the page says
// after a change (its notice, its status) never disagrees.
function useAccountChanged() {
  const qc = useQueryClient();
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ['mfa-status'] }),
      qc.invalidateQueries({ queryKey: ['me'] }),
    ]);
}

export function useMfaSetup() {
  return useMutation({ mutationFn: () => post<MfaSetup>('/auth/mfa/setup/') });
}

export function useMfaVerify() {
  const changed = useAccountChanged();
  return useMutation({ mutationFn: (code: string) => post<MfaStatus>('/auth/mfa/verify/', { code }), onSuccess: changed });
}

export function useMfaDisable() {
  const changed = useAccountChanged();
  return useMutation({ mutationFn: (code: string) => post<MfaStatus>('/auth/mfa/disable/', { code }), onSuccess: changed });
}

export function useUpdateMe() {
  const changed = useAccountChanged();
  return useMutation({ mutationFn: (body: MeUpdate) => patch('/users/me', body), onSuccess: changed });
}

// A datetime-local value ("2027-01-31T12:00", the browser's zone) as the
// ISO 8601 instant the API takes; "" is no expiry.
export function expiryToIso(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
