// Workflows (the dashboard's view of them), executions, their statistics
// and chat: the shapes of doc/api.md and the queries the pages share.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { get, qs } from './client';
import type { List } from './types';

export interface Budget {
  max_tokens_per_day: number | null;
  max_tokens_per_execution: number | null;
  max_usd_per_day: number | null;
  max_usd_per_execution: number | null;
}

export interface WorkflowSummary {
  id: number;
  slug: string;
  name: string;
  description: string;
  is_active: boolean;
  node_count: number;
  edge_count: number;
  trigger_count: number;
  tags: string[] | null;
  budget: Budget;
  budget_today: { tokens: number; usd: number };
  created_at: string;
  updated_at: string;
}

export interface NodeSummary {
  node_id: string;
  component_type: string;
  label: string | null;
}

export interface WorkflowWithNodes extends WorkflowSummary {
  nodes: NodeSummary[];
}

export interface UnresolvedCredential {
  node_id: string;
  field: string;
  name: string | null;
  credential_type: string | null;
  credential_id: number | null;
}

export interface ImportOut extends WorkflowSummary {
  unresolved_credentials: UnresolvedCredential[];
}

export type ExecutionStatus = 'pending' | 'running' | 'interrupted' | 'completed' | 'failed' | 'cancelled';
export const EXECUTION_STATUSES: ExecutionStatus[] = ['pending', 'running', 'interrupted', 'completed', 'failed', 'cancelled'];

export interface BudgetUsed {
  max_tokens_per_day: number;
  max_tokens_per_execution: number;
  max_usd_per_day: number;
  max_usd_per_execution: number;
}

export interface Execution {
  execution_id: string;
  workflow_slug: string;
  // The trigger node that started the run (null: none recorded).
  trigger_node_id: string | null;
  status: ExecutionStatus;
  error_message: string;
  started_at: string | null;
  completed_at: string | null;
  total_tokens: number;
  total_cost_usd: number;
  llm_calls: number;
  budget_used: BudgetUsed;
}

export interface ExecutionLog {
  id: number;
  node_id: string;
  status: string;
  input: unknown;
  output: unknown;
  error: string;
  error_code: string | null;
  metadata: Record<string, unknown> | null;
  duration_ms: number;
  timestamp: string;
  attempt: number;
}

export interface PendingConfirmation {
  node_id: string;
  prompt: string;
  expires_at: string | null;
}

export interface ExecutionDetail extends Execution {
  final_output: unknown;
  trigger_payload: unknown;
  confirmation: PendingConfirmation | null;
  event_seq: number;
  logs: ExecutionLog[];
}

export interface ExecutionStarted {
  execution_id: string;
  status: 'pending';
}

export interface DayStats {
  day: string;
  workflow_slug: string;
  executions: number;
  failed: number;
  cost_usd: number;
  tokens: number;
}

export interface ExecutionStats {
  days: number;
  from: string;
  items: DayStats[];
}

export interface ChatHistoryMessage {
  role: 'user' | 'assistant';
  text: string;
  timestamp: string | null;
}

export interface ChatHistory {
  thread_id: string;
  messages: ChatHistoryMessage[];
  has_more: boolean;
}

export interface ChatStarted {
  execution_id: string;
  status: 'pending';
  response: string;
}

// Every workflow the user sees (the list is paged by the API; a dashboard
// shows them all, a page of 1000 at a time).
export async function fetchAllWorkflows(signal?: AbortSignal): Promise<WorkflowSummary[]> {
  const out: WorkflowSummary[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await get<List<WorkflowSummary>>(`/workflows/${qs({ limit: 1000, offset })}`, signal);
    out.push(...page.items);
    if (page.items.length < 1000 || out.length >= page.total) return out;
  }
}

export const workflowsKey = ['workflows'] as const;

export function useWorkflows() {
  return useQuery({ queryKey: workflowsKey, queryFn: ({ signal }) => fetchAllWorkflows(signal) });
}

export interface ExecutionFilter {
  workflow_slug?: string;
  status?: string;
  limit: number;
  offset: number;
}

export const executionsKey = ['executions'] as const;

export function useExecutions(f: ExecutionFilter) {
  return useQuery({
    queryKey: [...executionsKey, 'list', f],
    queryFn: ({ signal }) => get<List<Execution>>(`/executions/${qs({ ...f })}`, signal),
    placeholderData: keepPreviousData,
  });
}

export const executionKey = (id: string) => [...executionsKey, 'detail', id] as const;

export function useExecution(id: string) {
  return useQuery({
    queryKey: executionKey(id),
    queryFn: ({ signal }) => get<ExecutionDetail>(`/executions/${encodeURIComponent(id)}/`, signal),
  });
}

export function useExecutionStats(days: number, workflow?: string) {
  return useQuery({
    queryKey: [...executionsKey, 'stats', days, workflow ?? ''],
    queryFn: ({ signal }) => get<ExecutionStats>(`/executions/stats/${qs({ days, workflow_slug: workflow })}`, signal),
  });
}

export const chatHistoryKey = (slug: string) => ['chat-history', slug] as const;

export function useChatHistory(slug: string) {
  return useQuery({
    queryKey: chatHistoryKey(slug),
    queryFn: ({ signal }) => get<ChatHistory>(`/workflows/${encodeURIComponent(slug)}/chat/history${qs({ limit: 100 })}`, signal),
  });
}

export function isFinished(s: string): boolean {
  return s === 'completed' || s === 'failed' || s === 'cancelled';
}

export function formatUsd(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n === 0) return '$0';
  return n < 0.01 ? `$${n.toFixed(6)}` : `$${n.toFixed(n < 1 ? 4 : 2)}`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

// The time between two ISO instants (ms), or null when either is missing.
export function elapsedMs(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  const a = Date.parse(from);
  const b = Date.parse(to);
  return Number.isNaN(a) || Number.isNaN(b) ? null : b - a;
}
