// Between the API's nodes and edges and the canvas's: which handles a node
// type has (one per port, plus the sub-component and loop handles the edge
// labels plug into), which handles an edge joins, and what a new
// connection's label and kind are. Pure.
import type { ApiEdge, ApiNode, EdgeLabel, NodeTypeSpec } from '../api/editor';

export interface HandleInfo {
  id: string;
  kind: 'source' | 'target';
  side: 'left' | 'right' | 'top' | 'bottom';
  name: string;
  dataType: string;
}

// The labels whose edges plug a sub-component into its user (pipelit-engine
// section 5: the target must have the matching requires_* flag).
export const SUB_LABELS: { label: EdgeLabel; name: string; flag: keyof NodeTypeSpec }[] = [
  { label: 'llm', name: 'model', flag: 'requires_model' },
  { label: 'tool', name: 'tools', flag: 'requires_tools' },
  { label: 'output_parser', name: 'output parser', flag: 'requires_output_parser' },
  { label: 'skill', name: 'skills', flag: 'requires_skills' },
];

// Kinds whose edges may be conditional (the server's NODE_CONDITIONAL_SOURCE).
export const CONDITIONAL_SOURCES = new Set(['switch', 'assertion']);

// Categories whose nodes are plugged into others (models, tools).
const PLUGGABLE = new Set(['sub_component', 'agent']);

const cache = new Map<string, HandleInfo[]>();

export function handlesOf(spec: NodeTypeSpec | undefined): HandleInfo[] {
  if (!spec) return [{ id: 'in', kind: 'target', side: 'left', name: 'input', dataType: 'any' }, { id: 'out', kind: 'source', side: 'right', name: 'output', dataType: 'any' }];
  const hit = cache.get(spec.component_type);
  if (hit) return hit;
  const out: HandleInfo[] = [];
  const trigger = spec.category === 'trigger';
  if (!trigger) {
    if (spec.inputs.length === 0) out.push({ id: 'in', kind: 'target', side: 'left', name: 'input', dataType: 'any' });
    for (const p of spec.inputs) out.push({ id: `in:${p.name}`, kind: 'target', side: 'left', name: p.name, dataType: p.data_type });
  }
  if (spec.outputs.length === 0) out.push({ id: 'out', kind: 'source', side: 'right', name: 'output', dataType: 'any' });
  for (const p of spec.outputs) out.push({ id: `out:${p.name}`, kind: 'source', side: 'right', name: p.name, dataType: p.data_type });
  if (spec.component_type === 'loop') {
    out.push({ id: 'loop_body', kind: 'source', side: 'bottom', name: 'loop body', dataType: 'any' });
    out.push({ id: 'loop_return', kind: 'target', side: 'bottom', name: 'loop return', dataType: 'any' });
  }
  for (const s of SUB_LABELS) {
    if (spec[s.flag]) out.push({ id: `sub:${s.label}`, kind: 'target', side: 'bottom', name: s.name, dataType: s.label });
  }
  if (PLUGGABLE.has(spec.category)) out.push({ id: 'plug', kind: 'source', side: 'top', name: 'plug into', dataType: 'component' });
  cache.set(spec.component_type, out);
  return out;
}

const firstOf = (hs: HandleInfo[], kind: 'source' | 'target', side: string) =>
  hs.find((h) => h.kind === kind && h.side === side)?.id ?? null;

// The handles an edge of the API joins on the canvas.
export function edgeHandles(
  e: ApiEdge,
  source: NodeTypeSpec | undefined,
  target: NodeTypeSpec | undefined,
): { sourceHandle: string | null; targetHandle: string | null } {
  const sh = handlesOf(source);
  const th = handlesOf(target);
  if (e.edge_label === 'loop_body') return { sourceHandle: sh.some((h) => h.id === 'loop_body') ? 'loop_body' : firstOf(sh, 'source', 'right'), targetHandle: firstOf(th, 'target', 'left') };
  if (e.edge_label === 'loop_return') return { sourceHandle: firstOf(sh, 'source', 'right'), targetHandle: th.some((h) => h.id === 'loop_return') ? 'loop_return' : firstOf(th, 'target', 'left') };
  if (e.edge_label) {
    const sub = `sub:${e.edge_label}`;
    return {
      sourceHandle: sh.some((h) => h.id === 'plug') ? 'plug' : firstOf(sh, 'source', 'right'),
      targetHandle: th.some((h) => h.id === sub) ? sub : firstOf(th, 'target', 'left'),
    };
  }
  return { sourceHandle: firstOf(sh, 'source', 'right'), targetHandle: firstOf(th, 'target', 'left') };
}

// What a connection drawn between two handles asks the API for.
export function connectionKind(
  sourceType: string,
  sourceHandle: string | null,
  targetHandle: string | null,
): { edge_label: EdgeLabel; conditional: boolean } {
  if (targetHandle?.startsWith('sub:')) return { edge_label: targetHandle.slice(4) as EdgeLabel, conditional: false };
  if (sourceHandle === 'loop_body') return { edge_label: 'loop_body', conditional: false };
  if (targetHandle === 'loop_return') return { edge_label: 'loop_return', conditional: false };
  return { edge_label: '', conditional: CONDITIONAL_SOURCES.has(sourceType) };
}

// How an edge looks: sub-component, loop, conditional or plain.
export function edgeClass(e: ApiEdge): string {
  if (e.edge_label === 'loop_body' || e.edge_label === 'loop_return') return 'edge-loop';
  if (e.edge_label) return 'edge-sub';
  if (e.edge_type === 'conditional') return 'edge-cond';
  return 'edge-plain';
}

export function edgeText(e: ApiEdge): string | undefined {
  if (e.edge_type === 'conditional') return e.condition_value;
  if (e.edge_label) return SUB_LABELS.find((s) => s.label === e.edge_label)?.name ?? e.edge_label.replace('_', ' ');
  return undefined;
}

// Node ids a validation message names ('id' in quotes, or the id as a word).
export function nodesNamed(message: string, nodes: Pick<ApiNode, 'node_id'>[]): string[] {
  return nodes
    .filter((n) => {
      const esc = n.node_id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(`(^|[^\\w-])${esc}($|[^\\w-])`).test(message);
    })
    .map((n) => n.node_id);
}

// "__end__": where a conditional edge ends the run. It is no node of the
// workflow; the canvas draws it as an end marker whenever the workflow has
// a node that can route there (a switch or an assertion) or an edge that
// does, so those edges are drawn and new ones can be made.
export const END_ID = '__end__';

// Where the end marker goes when it first appears: right of the nodes that
// route to it (else of the switches and assertions), at their mean height.
// Null when the workflow has nothing that routes to an end.
export function endMarkerPlace(
  nodes: Pick<ApiNode, 'node_id' | 'component_type' | 'position_x' | 'position_y'>[],
  edges: Pick<ApiEdge, 'source_node_id' | 'target_node_id'>[],
): { x: number; y: number } | null {
  const toEnd = new Set(edges.filter((e) => e.target_node_id === END_ID).map((e) => e.source_node_id));
  let from = nodes.filter((n) => toEnd.has(n.node_id));
  if (!from.length) from = nodes.filter((n) => CONDITIONAL_SOURCES.has(n.component_type));
  if (!from.length) return null;
  const x = Math.max(...from.map((n) => n.position_x)) + 300;
  const y = from.reduce((s, n) => s + n.position_y, 0) / from.length;
  return { x: Math.round(x), y: Math.round(y) };
}
