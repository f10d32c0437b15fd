// The editor's shapes and calls: a workflow with its nodes and edges, the
// node-type catalogue, validation, runs and an execution's node logs.
// doc/api.md is the reference for every field.
import { del, get, patch, post } from './client';

export interface PortDefinition {
  name: string;
  data_type: string;
  description: string;
  required: boolean;
  default: unknown;
  port_schema: Record<string, unknown> | null;
}

export interface NodeTypeSpec {
  component_type: string;
  display_name: string;
  description: string;
  category: string;
  inputs: PortDefinition[];
  outputs: PortDefinition[];
  requires_model: boolean;
  requires_tools: boolean;
  requires_memory: boolean;
  requires_output_parser: boolean;
  requires_skills: boolean;
  executable: boolean;
  config_schema: Record<string, unknown>;
}

export type NodeTypes = Record<string, NodeTypeSpec>;

export interface ComponentConfig {
  credential_id: number | null;
  extra_config: Record<string, unknown>;
  frequency_penalty: number | null;
  is_active: boolean;
  llm_credential_id: number | null;
  max_retries: number | null;
  max_tokens: number | null;
  model_name: string;
  presence_penalty: number | null;
  priority: number;
  response_format: Record<string, unknown> | null;
  system_prompt: string;
  temperature: number | null;
  timeout: number | null;
  top_p: number | null;
  trigger_config: Record<string, unknown>;
}

export interface ApiNode {
  id: number;
  node_id: string;
  component_type: string;
  label: string | null;
  position_x: number;
  position_y: number;
  is_entry_point: boolean;
  interrupt_before: boolean;
  interrupt_after: boolean;
  config: ComponentConfig;
  updated_at: string;
}

export type EdgeLabel = '' | 'llm' | 'tool' | 'output_parser' | 'loop_body' | 'loop_return' | 'skill';

export interface ApiEdge {
  id: number;
  source_node_id: string;
  target_node_id: string;
  edge_label: EdgeLabel;
  edge_type: 'direct' | 'conditional';
  condition_value: string;
  condition_mapping: Record<string, unknown> | null;
  priority: number;
}

export interface Budget {
  max_tokens_per_day: number | null;
  max_tokens_per_execution: number | null;
  max_usd_per_day: number | null;
  max_usd_per_execution: number | null;
}

export interface WorkflowDetail {
  id: number;
  slug: string;
  name: string;
  description: string;
  is_active: boolean;
  budget: Budget;
  budget_today: { tokens: number; usd: number };
  nodes: ApiNode[];
  edges: ApiEdge[];
}

export interface NodeIn {
  component_type: string;
  node_id?: string;
  label?: string | null;
  position_x?: number;
  position_y?: number;
  config?: Partial<ComponentConfig>;
  is_entry_point?: boolean;
}

export interface EdgeIn {
  source_node_id: string;
  target_node_id: string;
  edge_label?: EdgeLabel;
  edge_type?: 'direct' | 'conditional';
  condition_value?: string;
  priority?: number;
}

export interface ExecutionLog {
  id: number;
  node_id: string;
  status: string;
  input: unknown;
  output: unknown;
  error: string;
  error_code: string | null;
  attempt: number;
  duration_ms: number;
  timestamp: string;
}

export type ExecutionStatusName = 'pending' | 'running' | 'interrupted' | 'completed' | 'failed' | 'cancelled';

export interface ExecutionDetail {
  execution_id: string;
  workflow_slug: string;
  // The trigger node that started the run (null: none recorded).
  trigger_node_id: string | null;
  status: ExecutionStatusName;
  started_at: string | null;
  completed_at: string | null;
  error_message: string;
  event_seq: number;
  logs: ExecutionLog[];
}

export interface ExecutionSummary {
  execution_id: string;
  workflow_slug: string;
  status: ExecutionStatusName;
  started_at: string | null;
}

export interface Credential {
  id: number;
  name: string;
  credential_type: string;
}

const wf = (slug: string) => `/workflows/${encodeURIComponent(slug)}`;

export const editorApi = {
  nodeTypes: () => get<NodeTypes>('/workflows/node-types/'),
  workflow: (slug: string) => get<WorkflowDetail>(`${wf(slug)}/`),
  patchWorkflow: (slug: string, body: Record<string, unknown>) => patch<WorkflowDetail>(`${wf(slug)}/`, body),
  addNode: (slug: string, body: NodeIn) => post<ApiNode>(`${wf(slug)}/nodes/`, body),
  patchNode: (slug: string, nodeId: string, body: Record<string, unknown>) =>
    patch<ApiNode>(`${wf(slug)}/nodes/${encodeURIComponent(nodeId)}/`, body),
  deleteNode: (slug: string, nodeId: string) => del(`${wf(slug)}/nodes/${encodeURIComponent(nodeId)}/`),
  addEdge: (slug: string, body: EdgeIn) => post<ApiEdge>(`${wf(slug)}/edges/`, body),
  patchEdge: (slug: string, id: number, body: Partial<EdgeIn>) => patch<ApiEdge>(`${wf(slug)}/edges/${id}/`, body),
  deleteEdge: (slug: string, id: number) => del(`${wf(slug)}/edges/${id}/`),
  validate: (slug: string) => post<{ valid: boolean; errors: string[] }>(`${wf(slug)}/validate/`, {}),
  execute: (slug: string, text: string) => post<{ execution_id: string; status: string }>(`${wf(slug)}/execute/`, { text }),
  execution: (id: string) => get<ExecutionDetail>(`/executions/${encodeURIComponent(id)}/`),
  latestExecution: (slug: string) =>
    get<{ items: ExecutionSummary[]; total: number }>(`/executions/?workflow_slug=${encodeURIComponent(slug)}&limit=1`),
  credentials: () => get<{ items: Credential[]; total: number }>('/credentials/?limit=500'),
};
