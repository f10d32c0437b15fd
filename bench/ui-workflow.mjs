// The workflow both UI benchmarks load (bench/ui.mjs, bench/ui-trace.mjs):
// 200 code nodes behind a manual trigger, laid out on a grid: a chain
// (199 edges) plus 51 forward jumps = 250 edges.
export const NODES = 200;
export const EDGES = 250;

export function bigWorkflow(name, slug) {
  const nodes = [{ node_id: 'start', component_type: 'trigger_manual', is_entry_point: true, position_x: 0, position_y: 0 }];
  for (let i = 1; i < NODES; i++) {
    nodes.push({ node_id: `step_${i}`, component_type: 'code', label: `Step ${i}`,
      config: { code_language: 'python', code_snippet: `print(${i})` },
      position_x: 260 * (i % 20), position_y: 160 * Math.floor(i / 20) });
  }
  const id = (i) => (i === 0 ? 'start' : `step_${i}`);
  const edges = [];
  for (let i = 0; i < NODES - 1; i++) edges.push({ source_node_id: id(i), target_node_id: id(i + 1) });
  for (let i = 1; edges.length < EDGES; i += 3) edges.push({ source_node_id: id(i), target_node_id: id(i + 2) });
  return { name, slug, nodes, edges };
}
