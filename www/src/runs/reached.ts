// Which of a workflow's nodes a run did not reach: those with no log row,
// apart from the trigger that started the run (the engine runs no trigger
// node; it is shown as having fired) and the nodes plugged into others
// (models, tools, output parsers, skills), which run inside their user and
// never log a run of their own. Pure, so it is unit-tested.

// Edge labels that plug a sub-component into the node that uses it.
const PLUG_LABELS = new Set(['llm', 'tool', 'output_parser', 'skill']);

export function notReached(
  nodes: { node_id: string }[],
  edges: { source_node_id: string; edge_label: string }[],
  logs: { node_id: string }[],
  triggerNodeId: string | null,
): string[] {
  const ran = new Set(logs.map((l) => l.node_id));
  const plugged = new Set(edges.filter((e) => PLUG_LABELS.has(e.edge_label)).map((e) => e.source_node_id));
  return nodes
    .map((n) => n.node_id)
    .filter((id) => !ran.has(id) && id !== triggerNodeId && !plugged.has(id));
}
