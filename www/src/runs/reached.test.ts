import { describe, expect, it } from 'vitest';
import { notReached } from './reached';

describe('notReached', () => {
  const nodes = ['start', 'route', 'yes', 'no', 'agent', 'model', 'clock'].map((node_id) => ({ node_id }));
  const edges = [
    { source_node_id: 'start', edge_label: '' },
    { source_node_id: 'model', edge_label: 'llm' },
    { source_node_id: 'clock', edge_label: 'tool' },
  ];
  it('names the nodes with no log, not the trigger nor plugged-in models and tools', () => {
    const logs = [{ node_id: 'route' }, { node_id: 'yes' }, { node_id: 'yes' }];
    expect(notReached(nodes, edges, logs, 'start')).toEqual(['no', 'agent']);
  });
  it('counts the trigger as not reached when the run names another', () => {
    expect(notReached(nodes, edges, [], null)).toEqual(['start', 'route', 'yes', 'no', 'agent']);
  });
});
