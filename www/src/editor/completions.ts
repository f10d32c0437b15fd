// Completions for a template field: inside an open {{ ... }} the names an
// expression can read at run time (doc/expressions.md "Variables"): every
// upstream node by its id with the output ports of its type, and `trigger`.
// Pure: given the graph, the node being edited, the text and the caret.
import type { NodeTypes } from '../api/editor';

export interface GraphNode {
  node_id: string;
  component_type: string;
}

export interface GraphEdge {
  source_node_id: string;
  target_node_id: string;
  edge_label: string;
}

export interface Completion {
  // What the list shows and what replaces [from, to).
  label: string;
  insert: string;
  detail: string;
}

export interface CompletionResult {
  from: number;
  to: number;
  items: Completion[];
}

// Sub-component edges (a model, a tool) carry no data to a template.
const DATA_LABELS = new Set(['', 'loop_body', 'loop_return']);

// The nodes whose output a node can read, nearest first: everything from
// which a chain of data edges leads to it.
export function upstreamNodes(nodes: GraphNode[], edges: GraphEdge[], nodeId: string): GraphNode[] {
  const byId = new Map(nodes.map((n) => [n.node_id, n]));
  const into = new Map<string, string[]>();
  for (const e of edges) {
    if (!DATA_LABELS.has(e.edge_label)) continue;
    const list = into.get(e.target_node_id);
    if (list) list.push(e.source_node_id);
    else into.set(e.target_node_id, [e.source_node_id]);
  }
  const seen = new Set<string>([nodeId]);
  const out: GraphNode[] = [];
  let frontier = [nodeId];
  while (frontier.length) {
    const next: string[] = [];
    const level: GraphNode[] = [];
    for (const id of frontier) {
      for (const src of into.get(id) || []) {
        if (seen.has(src)) continue;
        seen.add(src);
        next.push(src);
        const n = byId.get(src);
        if (n) level.push(n);
      }
    }
    level.sort((a, b) => a.node_id.localeCompare(b.node_id));
    out.push(...level);
    frontier = next;
  }
  return out;
}

// Where the caret is inside an unclosed {{: the expression typed so far.
function openExpression(text: string, caret: number): { start: number } | null {
  const before = text.slice(0, caret);
  const open = before.lastIndexOf('{{');
  if (open < 0) return null;
  if (before.indexOf('}}', open) >= 0) return null;
  return { start: open + 2 };
}

const IS_TRIGGER = (t: string) => t.startsWith('trigger_');

export function completionsAt(
  nodes: GraphNode[],
  edges: GraphEdge[],
  types: NodeTypes,
  nodeId: string,
  text: string,
  caret: number,
): CompletionResult | null {
  const open = openExpression(text, caret);
  if (!open) return null;
  const typed = text.slice(open.start, caret);
  // The dotted name being typed at the caret: `node`, `node.`, `node.po`.
  const m = /([A-Za-z_][\w-]*)?(?:\.([\w-]*))?$/.exec(typed);
  const name = m?.[1] ?? '';
  const hasDot = m !== null && m[0].includes('.');
  const attr = m?.[2] ?? '';
  // After the caret: is the expression already closed?
  const closed = /^\s*[\w.-]*\s*}}/.test(text.slice(caret));
  const close = closed ? '' : ' }}';

  const upstream = upstreamNodes(nodes, edges, nodeId);
  const ports = (n: GraphNode) => types[n.component_type]?.outputs ?? [];

  if (!hasDot) {
    const items: Completion[] = [];
    for (const n of upstream) {
      if (!n.node_id.startsWith(name)) continue;
      const t = types[n.component_type];
      items.push({ label: n.node_id, insert: n.node_id, detail: t ? t.display_name : n.component_type });
    }
    if ('trigger'.startsWith(name) && upstream.some((n) => IS_TRIGGER(n.component_type))) {
      items.push({ label: 'trigger', insert: 'trigger', detail: 'The trigger\'s payload' });
    }
    return { from: caret - name.length, to: caret, items };
  }

  // `name.`: the ports of that node (or the trigger's payload keys).
  let portList: { name: string; data_type: string }[] = [];
  if (name === 'trigger') {
    const trig = upstream.find((n) => IS_TRIGGER(n.component_type));
    portList = trig ? ports(trig) : [];
  } else {
    const n = upstream.find((u) => u.node_id === name);
    portList = n ? ports(n) : [];
  }
  const items = portList
    .filter((p) => p.name.startsWith(attr))
    .map((p) => ({ label: `${name}.${p.name}`, insert: p.name + close, detail: p.data_type }));
  return { from: caret - attr.length, to: caret, items };
}

// The text with a completion applied, and where the caret goes.
export function applyCompletion(text: string, r: CompletionResult, c: Completion): { text: string; caret: number } {
  const out = text.slice(0, r.from) + c.insert + text.slice(r.to);
  return { text: out, caret: r.from + c.insert.length };
}
