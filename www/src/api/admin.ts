// Shapes and queries of the credentials, schedules, workspaces, memory,
// users and settings pages (doc/api.md; doc/schedules.md, workspaces.md,
// memory.md, settings.md). The pure helpers the forms use are here too,
// so they can be tested without a browser (admin.test.ts).
import { useMutation, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';
import { api, del, get, patch, post, qs } from './client';
import type { List, User } from './types';

// --- credentials -------------------------------------------------------

export type CredentialType = 'llm' | 'tool' | 'git' | 'gateway';

export interface Credential {
  id: number;
  name: string;
  credential_type: CredentialType;
  // By type; every secret in it is masked by the server.
  detail: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface CredentialTest {
  ok: boolean;
  error: string;
  detail: string | Record<string, unknown> | null;
}

export function useCredentials() {
  return useQuery({ queryKey: ['credentials'], queryFn: () => get<List<Credential>>('/credentials/?limit=1000') });
}

// A mutation that refreshes the lists named by keys when it succeeds.
function useChange<A, R>(fn: (a: A) => Promise<R>, ...keys: QueryKey[]) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => keys.forEach((k) => qc.invalidateQueries({ queryKey: k })),
  });
}

export const useCreateCredential = () =>
  useChange((b: { name: string; credential_type: CredentialType; detail: Record<string, unknown> }) => post<Credential>('/credentials/', b), ['credentials']);
export const useDeleteCredential = () => useChange((id: number) => del(`/credentials/${id}/`), ['credentials']);
export const useTestCredential = () => useMutation({ mutationFn: (id: number) => post<CredentialTest>(`/credentials/${id}/test/`) });
export const useToggleGateway = () =>
  useChange((a: { id: number; on: boolean }) => post<unknown>(`/credentials/${a.id}/${a.on ? 'activate' : 'deactivate'}/`), ['credentials']);

// "Authorization: Bearer x" lines as the custom_headers object; blank
// lines are skipped, a line without a colon is an error naming it.
export function parseHeaderLines(text: string): { headers: Record<string, string>; bad: string | null } {
  const headers: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const i = line.indexOf(':');
    if (i <= 0) return { headers, bad: line };
    headers[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return { headers, bad: null };
}

// The detail of a new credential from its form's values: text fields as
// they are, empty optional ones left out so the server's defaults hold.
export function credentialDetail(type: CredentialType, f: Record<string, string | boolean>): Record<string, unknown> {
  const s = (k: string) => (typeof f[k] === 'string' ? (f[k] as string).trim() : '');
  const put = (d: Record<string, unknown>, k: string, v = s(k)) => {
    if (v) d[k] = v;
  };
  const d: Record<string, unknown> = {};
  switch (type) {
    case 'llm':
      put(d, 'provider_type');
      put(d, 'base_url');
      put(d, 'api_key', typeof f.api_key === 'string' ? f.api_key : '');
      put(d, 'organization_id');
      if (s('custom_headers')) d.custom_headers = parseHeaderLines(s('custom_headers')).headers;
      break;
    case 'tool':
      put(d, 'tool_type');
      d.config = s('tool_type') === 'searxng' ? (s('url') ? { url: s('url') } : {}) : s('config') ? JSON.parse(s('config')) : {};
      d.is_preferred = f.is_preferred === true;
      break;
    case 'git':
      put(d, 'provider');
      put(d, 'credential_type');
      put(d, 'username');
      put(d, 'access_token', typeof f.access_token === 'string' ? f.access_token : '');
      put(d, 'ssh_private_key', typeof f.ssh_private_key === 'string' ? f.ssh_private_key : '');
      put(d, 'webhook_secret', typeof f.webhook_secret === 'string' ? f.webhook_secret : '');
      break;
    case 'gateway':
      put(d, 'adapter_type');
      put(d, 'token', typeof f.token === 'string' ? f.token : '');
      if (s('config')) d.config = JSON.parse(s('config'));
      break;
  }
  return d;
}

// One line about a credential for the list, never a secret.
export function credentialSummary(c: Credential): string {
  const d = c.detail || {};
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : '');
  switch (c.credential_type) {
    case 'llm':
      return [str('provider_type') || 'openai_compatible', str('base_url')].filter(Boolean).join(' · ');
    case 'tool': {
      const cfg = d.config as Record<string, unknown> | undefined;
      const url = cfg && typeof cfg.url === 'string' ? cfg.url : '';
      return [str('tool_type'), url, d.is_preferred ? 'preferred' : ''].filter(Boolean).join(' · ');
    }
    case 'git':
      return [str('provider'), str('credential_type'), str('username')].filter(Boolean).join(' · ');
    case 'gateway':
      return str('adapter_type');
  }
  return '';
}

// --- workflows (for the schedule form) -----------------------------------

export interface WorkflowBrief {
  id: number;
  slug: string;
  name: string;
}

export interface NodeBrief {
  node_id: string;
  component_type: string;
  label: string | null;
}

export function useWorkflowBriefs() {
  return useQuery({ queryKey: ['workflows', 'brief'], queryFn: () => get<List<WorkflowBrief>>('/workflows/?limit=1000') });
}

export function useScheduleTriggers(slug: string | null) {
  return useQuery({
    queryKey: ['workflow-nodes', slug],
    enabled: !!slug,
    queryFn: async () => (await get<NodeBrief[]>(`/workflows/${slug}/nodes/`)).filter((n) => n.component_type === 'trigger_schedule'),
  });
}

// --- schedules -----------------------------------------------------------

export type ScheduleStatus = 'active' | 'paused' | 'stopped' | 'dead' | 'done';
export type MissedRuns = 'skip' | 'run_once' | 'catch_up';

export interface Schedule {
  id: string;
  name: string;
  description: string;
  workflow_id: number;
  trigger_node_id: string | null;
  interval_seconds: number | null;
  cron: string | null;
  timezone: string | null;
  total_repeats: number;
  current_repeat: number;
  max_retries: number;
  current_retry: number;
  timeout_seconds: number;
  trigger_payload: Record<string, unknown> | null;
  missed_runs: MissedRuns;
  catch_up_limit: number;
  status: ScheduleStatus;
  run_count: number;
  error_count: number;
  last_error: string;
  last_run_at: string | null;
  next_run_at: string | null;
  created_at: string | null;
}

export interface ScheduleIn {
  name: string;
  workflow_id: number;
  trigger_node_id?: string | null;
  interval_seconds?: number;
  cron?: string;
  timezone?: string;
  total_repeats?: number;
  missed_runs?: MissedRuns;
  trigger_payload?: Record<string, unknown>;
  description?: string;
}

// What a PATCH may change (the workflow and trigger stay); null turns a
// cron schedule back into an interval one.
export interface ScheduleUpdate {
  name?: string;
  interval_seconds?: number | null;
  cron?: string | null;
  timezone?: string | null;
  total_repeats?: number;
  missed_runs?: MissedRuns;
  trigger_payload?: Record<string, unknown> | null;
}

export function useSchedules() {
  return useQuery({ queryKey: ['schedules'], queryFn: () => get<List<Schedule>>('/schedules/?limit=1000') });
}

export function useNextRuns(id: string | null) {
  return useQuery({
    queryKey: ['schedule-next-runs', id],
    enabled: !!id,
    queryFn: () => get<{ next_runs: string[]; timezone?: string }>(`/schedules/${id}/next-runs/?count=5`),
  });
}

export const useCreateSchedule = () => useChange((b: ScheduleIn) => post<Schedule>('/schedules/', b), ['schedules']);
export const useDeleteSchedule = () => useChange((id: string) => del(`/schedules/${id}/`), ['schedules']);
export const useScheduleAction = () =>
  useChange((a: { id: string; action: 'pause' | 'resume' }) => post<Schedule>(`/schedules/${a.id}/${a.action}/`), ['schedules'], ['schedule-next-runs']);

export function previewCron(cron: string, timezone: string, signal?: AbortSignal) {
  return api<{ next_runs: string[]; timezone: string }>('POST', '/schedules/preview/', { body: { cron, timezone: timezone || null, count: 5 }, signal });
}

export const UNITS: [string, number][] = [
  ['seconds', 1],
  ['minutes', 60],
  ['hours', 3600],
  ['days', 86400],
];

// A number of seconds as the form's "every N unit", in the largest whole unit.
export function intervalParts(seconds: number): { every: string; unit: string } {
  for (let i = UNITS.length - 1; i >= 0; i--) {
    const n = UNITS[i][1];
    if (seconds >= n && seconds % n === 0) return { every: String(seconds / n), unit: String(n) };
  }
  return { every: String(seconds), unit: '1' };
}

// The PATCH of a schedule from its edit form: only the settings that
// differ from the stored ones; a cron schedule made an interval one again
// sends cron: null with its interval.
export function scheduleChanges(s: Schedule, f: ScheduleUpdate): ScheduleUpdate {
  const out: ScheduleUpdate = {};
  if (f.name !== undefined && f.name !== s.name) out.name = f.name;
  if (f.interval_seconds != null) {
    if (s.cron) out.cron = null;
    if (s.cron || f.interval_seconds !== s.interval_seconds) out.interval_seconds = f.interval_seconds;
  } else if (f.cron) {
    if (f.cron !== s.cron) out.cron = f.cron;
    if (f.timezone && (f.timezone !== s.timezone || !s.cron)) out.timezone = f.timezone;
  }
  if (f.total_repeats !== undefined && f.total_repeats !== s.total_repeats) out.total_repeats = f.total_repeats;
  if (f.missed_runs !== undefined && f.missed_runs !== s.missed_runs) out.missed_runs = f.missed_runs;
  const payload = f.trigger_payload ?? null;
  if (JSON.stringify(payload) !== JSON.stringify(s.trigger_payload ?? null)) out.trigger_payload = payload;
  return out;
}

// "every 5 minutes" from a number of seconds, in the largest whole unit.
export function describeInterval(seconds: number): string {
  for (let i = UNITS.length - 1; i >= 0; i--) {
    const [unit, n] = UNITS[i];
    if (seconds % n === 0 && seconds >= n) {
      const k = seconds / n;
      return `every ${k === 1 ? unit.replace(/s$/, '') : `${k} ${unit}`}`;
    }
  }
  return `every ${seconds} seconds`;
}

export function describeTiming(s: Pick<Schedule, 'interval_seconds' | 'cron' | 'timezone'>): string {
  if (s.cron) return `cron ${s.cron} (${s.timezone || 'UTC'})`;
  return s.interval_seconds ? describeInterval(s.interval_seconds) : '—';
}

// --- workspaces ----------------------------------------------------------

export interface Workspace {
  id: number;
  name: string;
  path: string;
  allow_network: boolean;
  env_vars: WorkspaceVariable[];
  created_at: string;
}

// A variable as the server answers it: a raw value comes back masked
// (sending the mask back for the same key keeps the stored value); a
// credential's field is named, never shown.
export interface WorkspaceVariable {
  key: string;
  value: string | null;
  credential_id: number | null;
  credential_field: string | null;
  source: 'raw' | 'credential' | string;
}

// A line of the variables form: a key, a newly typed value ('' keeps the
// stored one), and the variable it was loaded from, if any.
export interface VariableLine {
  key: string;
  value: string;
  was?: WorkspaceVariable;
}

// The env_vars of the PATCH from the form's lines: the whole list (a key
// left out is removed). A line whose value was left empty sends back what
// the server answered, so a stored secret or a credential reference is
// kept; renaming such a line would send a mask under a new key, which the
// server refuses, so the form asks for the value instead.
export function variablesBody(lines: VariableLine[]): { env_vars: WorkspaceVariable[]; problem: string | null } {
  const env_vars: WorkspaceVariable[] = [];
  for (const l of lines) {
    const key = l.key.trim();
    if (!key && !l.value) continue;
    if (l.was && l.value === '') {
      if (key !== l.was.key) return { env_vars: [], problem: `Type the value of ${key || 'the renamed variable'} again: a stored value stays under its own name.` };
      env_vars.push(l.was);
    } else {
      env_vars.push({ key, value: l.value, credential_id: null, credential_field: null, source: 'raw' });
    }
  }
  return { env_vars, problem: null };
}


export function useWorkspaces() {
  return useQuery({ queryKey: ['workspaces'], queryFn: () => get<List<Workspace>>('/workspaces/?limit=1000') });
}
export const useCreateWorkspace = () =>
  useChange((b: { name: string; path?: string; allow_network: boolean }) => post<Workspace>('/workspaces/', b), ['workspaces']);
export const useDeleteWorkspace = () => useChange((id: number) => del(`/workspaces/${id}/`), ['workspaces']);
export const useResetWorkspace = () => useMutation({ mutationFn: (id: number) => post<{ ok: boolean; message: string }>(`/workspaces/${id}/reset/`) });

// --- memory --------------------------------------------------------------

export type MemoryKind = 'facts' | 'episodes' | 'procedures' | 'users' | 'checkpoints';

export function useMemoryList<T>(kind: MemoryKind, params: Record<string, string | number | undefined>) {
  return useQuery({
    queryKey: ['memories', kind, params],
    queryFn: () => get<List<T>>(`/memories/${kind}/${qs(params)}`),
    placeholderData: (prev) => prev,
  });
}

export function useDeleteMemories(kind: MemoryKind) {
  return useChange(
    (body: { ids: string[] } | { checkpoint_ids?: string[]; thread_ids?: string[] }) => post<void>(`/memories/${kind}/batch-delete/`, body),
    ['memories', kind],
  );
}

// --- users ---------------------------------------------------------------

export function useUsers() {
  return useQuery({ queryKey: ['users'], queryFn: () => get<{ users: User[]; total: number }>('/users/?limit=1000') });
}
export const useCreateUser = () =>
  useChange(
    (b: { username: string; password: string; first_name?: string; last_name?: string; role: 'admin' | 'normal' }) => post<User>('/users/', b),
    ['users'],
  );
export const useUpdateUser = () =>
  useChange((a: { id: number; body: { role?: 'admin' | 'normal'; password?: string } }) => patch<User>(`/users/${a.id}`, a.body), ['users'], ['me']);
export const useDeleteUser = () => useChange((id: number) => del(`/users/${id}`), ['users']);

// --- settings ------------------------------------------------------------

export const SETTING_FIELDS = [
  'log_level',
  'zombie_execution_threshold_seconds',
  'cors_allow_all_origins',
  'log_file',
  'sandbox_mode',
  'redis_url',
  'platform_base_url',
] as const;
export type SettingField = (typeof SETTING_FIELDS)[number];
export type SettingSource = 'database' | 'environment' | 'default';

export interface PlatformConfig {
  pipelit_dir: string;
  database_url: string;
  log_level: string;
  zombie_execution_threshold_seconds: number;
  cors_allow_all_origins: boolean;
  log_file: string;
  sandbox_mode: string;
  redis_url: string;
  platform_base_url: string;
}

export interface EnvironmentInfo {
  os: string;
  arch: string;
  container: string | null;
  bwrap_available: boolean;
  rootfs_ready: boolean;
  sandbox_mode: string;
  tier1_met: boolean;
  tier2_warnings: string[];
  capabilities: Record<string, unknown>;
  gate: Record<string, unknown>;
}

export interface SettingsOut {
  config: PlatformConfig;
  sources: Record<keyof PlatformConfig, SettingSource>;
  environment: EnvironmentInfo;
  revision: number;
}

export interface SettingsPatchOut {
  config: PlatformConfig;
  sources: Record<keyof PlatformConfig, SettingSource>;
  hot_reloaded: string[];
  restart_required: string[];
  revision: number;
}

export type SettingValue = string | number | boolean | null;

export function useSettings() {
  return useQuery({ queryKey: ['settings'], queryFn: () => get<SettingsOut>('/settings/') });
}
export const useUpdateSettings = () => useChange((b: Partial<Record<SettingField, SettingValue>>) => patch<SettingsPatchOut>('/settings/', b), ['settings']);
export const useRecheckEnvironment = () => useMutation({ mutationFn: () => post<{ environment: EnvironmentInfo }>('/settings/recheck-environment/') });

// The fields of edited that differ from config: what a PATCH sends.
export function settingsChanges(config: PlatformConfig, edited: Partial<Record<SettingField, SettingValue>>): Partial<Record<SettingField, SettingValue>> {
  const out: Partial<Record<SettingField, SettingValue>> = {};
  for (const f of SETTING_FIELDS) {
    if (!(f in edited)) continue;
    const v = edited[f];
    if (v === null || v !== config[f]) out[f] = v as SettingValue;
  }
  return out;
}

// A time the server wrote in a schedule's zone ("2027-03-28T03:00:00+02:00")
// as that zone's wall clock: "2027-03-28 03:00 (+02:00)".
export function wallClock(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return iso;
  return `${m[1]} ${m[2]} (${m[3] === 'Z' || m[3] === '+00:00' ? 'UTC' : m[3]})`;
}

// --- changes to existing things ------------------------------------------

export const useUpdateCredential = () =>
  useChange((a: { id: number; body: { name?: string; detail?: Record<string, unknown> } }) => patch<Credential>(`/credentials/${a.id}/`, a.body), ['credentials']);
export const useUpdateWorkspace = () =>
  useChange((a: { id: number; body: { allow_network?: boolean; env_vars?: WorkspaceVariable[] } }) => patch<Workspace>(`/workspaces/${a.id}/`, a.body), ['workspaces']);
export const useUpdateSchedule = () => useChange((a: { id: string; body: ScheduleUpdate }) => patch<Schedule>(`/schedules/${a.id}/`, a.body), ['schedules'], ['schedule-next-runs']);

// The PATCH of a credential from its edit form: only what changed; a new
// key only when one was typed. A new base URL without a new key is
// refused by the server (the stored key is never sent to a new host), so
// the form says so before asking.
export function credentialChanges(
  c: Credential,
  f: { name: string; base_url?: string; api_key?: string; url?: string },
): { body: { name?: string; detail?: Record<string, unknown> }; problem: string | null } {
  const body: { name?: string; detail?: Record<string, unknown> } = {};
  const detail: Record<string, unknown> = {};
  if (f.name.trim() && f.name.trim() !== c.name) body.name = f.name.trim();
  if (c.credential_type === 'llm') {
    const oldUrl = typeof c.detail.base_url === 'string' ? c.detail.base_url : '';
    const url = (f.base_url ?? oldUrl).trim();
    if (url !== oldUrl) detail.base_url = url;
    if (f.api_key) detail.api_key = f.api_key;
    if ('base_url' in detail && !f.api_key) return { body, problem: 'A new base URL needs the API key again: the stored key is never sent to a different address.' };
  }
  if (c.credential_type === 'tool' && f.url !== undefined) {
    const cfg = (c.detail.config as Record<string, unknown>) || {};
    if (f.url.trim() !== (cfg.url ?? '')) detail.config = { ...cfg, url: f.url.trim() };
  }
  if (Object.keys(detail).length) body.detail = detail;
  return { body, problem: null };
}
