// {{ node.port }} completions over a graph, with the real catalogue's ports.
import { describe, expect, it } from 'vitest';
import type { NodeTypes } from '../api/editor';
import raw from './fixtures/node-types.json';
import { applyCompletion, completionsAt, upstreamNodes } from './completions';

const types = raw as unknown as NodeTypes;
const nodes = [
  { node_id: 'start', component_type: 'trigger_manual' },
  { node_id: 'sw', component_type: 'switch' },
  { node_id: 'agent_1', component_type: 'agent' },
  { node_id: 'model_1', component_type: 'ai_model' },
  { node_id: 'reply', component_type: 'reply_chat' },
  { node_id: 'other', component_type: 'code' },
];
const edges = [
  { source_node_id: 'start', target_node_id: 'sw', edge_label: '' },
  { source_node_id: 'sw', target_node_id: 'agent_1', edge_label: '' },
  { source_node_id: 'model_1', target_node_id: 'agent_1', edge_label: 'llm' },
  { source_node_id: 'agent_1', target_node_id: 'reply', edge_label: '' },
  { source_node_id: 'reply', target_node_id: 'other', edge_label: '' },
];
const at = (text: string, caret = text.length) => completionsAt(nodes, edges, types, 'reply', text, caret);

describe('upstreamNodes', () => {
  it('follows data edges back, nearest first, and not sub-components or downstream nodes', () => {
    expect(upstreamNodes(nodes, edges, 'reply').map((n) => n.node_id)).toEqual(['agent_1', 'sw', 'start']);
  });
  it('survives a cycle', () => {
    const cyc = [...edges, { source_node_id: 'reply', target_node_id: 'sw', edge_label: '' }];
    expect(upstreamNodes(nodes, cyc, 'reply').map((n) => n.node_id).sort()).toEqual(['agent_1', 'start', 'sw']);
  });
});

describe('completionsAt', () => {
  it('offers nothing outside {{ }}', () => {
    expect(at('Hello ')).toBeNull();
    expect(at('{{ agent_1.output }} and ')).toBeNull();
  });

  it('offers upstream node ids and trigger after {{', () => {
    const r = at('Answer: {{ ');
    expect(r?.items.map((i) => i.label)).toEqual(['agent_1', 'sw', 'start', 'trigger']);
    expect(r?.items[0].detail).toBe('Agent');
  });

  it('filters by the typed prefix and replaces only it', () => {
    const text = 'x {{ ag';
    const r = at(text)!;
    expect(r.items.map((i) => i.label)).toEqual(['agent_1']);
    expect(applyCompletion(text, r, r.items[0]).text).toBe('x {{ agent_1');
  });

  it('offers the output ports of the node before the dot, closing the expression', () => {
    const text = '{{ agent_1.';
    const r = at(text)!;
    expect(r.items.map((i) => i.label)).toEqual(['agent_1.messages', 'agent_1.output']);
    const out = applyCompletion(text, r, r.items[1]);
    expect(out.text).toBe('{{ agent_1.output }}');
    expect(out.caret).toBe(out.text.length);
  });

  it('does not close an expression that is already closed', () => {
    const text = '{{ agent_1.ou }} done';
    const r = completionsAt(nodes, edges, types, 'reply', text, '{{ agent_1.ou'.length)!;
    expect(r.items.map((i) => i.insert)).toEqual(['output']);
    expect(applyCompletion(text, r, r.items[0]).text).toBe('{{ agent_1.output }} done');
  });

  it('offers the trigger\'s ports under trigger.', () => {
    expect(at('{{ trigger.')?.items.map((i) => i.label)).toEqual(['trigger.payload']);
  });

  it('offers nothing for a node that is not upstream', () => {
    expect(at('{{ other.')?.items).toEqual([]);
    expect(at('{{ model_1.')?.items).toEqual([]);
  });
});
