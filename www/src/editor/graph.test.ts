// Handles, edge kinds and the runs' badges, on the real catalogue.
import { describe, expect, it } from 'vitest';
import type { ApiEdge, NodeTypes } from '../api/editor';
import raw from './fixtures/node-types.json';
import { END_ID, connectionKind, edgeClass, edgeHandles, edgeText, endMarkerPlace, handlesOf, nodesNamed } from './graph';
import { History } from './history';
import { NodeFlags, statusesOf, triggerBadge } from './runStatus';

const types = raw as unknown as NodeTypes;
const edge = (e: Partial<ApiEdge>): ApiEdge => ({
  id: 1, source_node_id: 'a', target_node_id: 'b', edge_label: '', edge_type: 'direct', condition_value: '', condition_mapping: null, priority: 0, ...e,
});

describe('handlesOf', () => {
  it('gives a handle per port, none on a trigger\'s input side', () => {
    const ids = handlesOf(types.trigger_webhook).map((h) => h.id);
    expect(ids).toEqual(['out:body', 'out:headers', 'out:query', 'out:method', 'out:payload']);
  });
  it('gives an agent its model, tools and skills handles, and a model its plug', () => {
    const agent = handlesOf(types.agent).map((h) => h.id);
    expect(agent).toEqual(expect.arrayContaining(['in:messages', 'out:output', 'sub:llm', 'sub:tool', 'sub:skill']));
    expect(handlesOf(types.ai_model).map((h) => h.id)).toContain('plug');
    expect(handlesOf(types.switch).some((h) => h.id === 'plug')).toBe(false);
  });
  it('gives a loop its body and return handles', () => {
    expect(handlesOf(types.loop).map((h) => h.id)).toEqual(expect.arrayContaining(['loop_body', 'loop_return']));
  });
});

describe('edges', () => {
  it('joins a sub-component edge from the plug to the matching handle', () => {
    expect(edgeHandles(edge({ edge_label: 'llm' }), types.ai_model, types.agent)).toEqual({ sourceHandle: 'plug', targetHandle: 'sub:llm' });
    expect(edgeHandles(edge({}), types.trigger_manual, types.switch)).toEqual({ sourceHandle: 'out:payload', targetHandle: 'in:input' });
  });
  it('reads the kind of a new connection from its handles and source', () => {
    expect(connectionKind('ai_model', 'plug', 'sub:llm')).toEqual({ edge_label: 'llm', conditional: false });
    expect(connectionKind('switch', 'out:route', 'in:input')).toEqual({ edge_label: '', conditional: true });
    expect(connectionKind('loop', 'loop_body', 'in:input')).toEqual({ edge_label: 'loop_body', conditional: false });
    expect(connectionKind('wait', 'out:output', 'in:input')).toEqual({ edge_label: '', conditional: false });
  });
  it('draws and labels each kind apart', () => {
    expect(edgeClass(edge({ edge_label: 'tool' }))).toBe('edge-sub');
    expect(edgeText(edge({ edge_label: 'tool' }))).toBe('tools');
    expect(edgeClass(edge({ edge_type: 'conditional', condition_value: 'yes' }))).toBe('edge-cond');
    expect(edgeText(edge({ edge_type: 'conditional', condition_value: 'yes' }))).toBe('yes');
    expect(edgeClass(edge({ edge_label: 'loop_return' }))).toBe('edge-loop');
  });
  it('finds the nodes a validation message names, whole ids only', () => {
    const nodes = [{ node_id: 'agent_1' }, { node_id: 'agent_10' }, { node_id: 'sw' }];
    expect(nodesNamed("Node 'agent_1' (agent) requires a model connection", nodes)).toEqual(['agent_1']);
  });
});

describe('statusesOf', () => {
  const detail = {
    event_seq: 5,
    logs: [
      { node_id: 'a', status: 'completed' },
      { node_id: 'b', status: 'failed' },
      { node_id: 'b', status: 'completed' },
    ],
  } as unknown as Parameters<typeof statusesOf>[0];
  it('takes each node\'s last log, then only the newer events', () => {
    const s = statusesOf(detail, [
      { seq: 4, node_id: 'c', status: 'running' },
      { seq: 7, node_id: 'd', status: 'success' },
      { seq: 6, node_id: 'd', status: 'running' },
    ]);
    expect(Object.fromEntries(s)).toEqual({ a: 'success', b: 'success', d: 'success' });
  });
  it('marks the trigger that started the run as run, a log or newer event over it', () => {
    const d = { ...detail, status: 'completed', trigger_node_id: 'start' } as Parameters<typeof statusesOf>[0];
    expect(statusesOf(d, []).get('start')).toBe('success');
    const logged = { ...d!, logs: [...d!.logs, { node_id: 'start', status: 'failed' }] } as Parameters<typeof statusesOf>[0];
    expect(statusesOf(logged, []).get('start')).toBe('failed');
    expect(statusesOf(d, [{ seq: 9, node_id: 'start', status: 'running' }]).get('start')).toBe('running');
    expect(statusesOf({ ...d!, trigger_node_id: null }, []).has('start')).toBe(false);
  });
  it('fails the trigger of a run that failed before any node ran', () => {
    const base = { event_seq: 0, trigger_node_id: 't', logs: [] } as unknown as Parameters<typeof triggerBadge>[0];
    expect(triggerBadge({ ...base, status: 'failed' })).toBe('failed');
    expect(triggerBadge({ ...base, status: 'running' })).toBe('success');
    expect(triggerBadge({ ...base, status: 'failed', logs: [{ node_id: 'x', status: 'failed' }] } as typeof base)).toBe('success');
    expect(triggerBadge({ ...base, trigger_node_id: null, status: 'completed' })).toBe(null);
  });
  it('tells only the nodes whose badge changed', () => {
    const f = new NodeFlags();
    const told: string[] = [];
    f.subscribe('a', () => told.push('a'));
    f.subscribe('b', () => told.push('b'));
    f.setStatuses(new Map([['a', 'running']]));
    f.setStatuses(new Map([['a', 'running'], ['b', 'pending']]));
    expect(told).toEqual(['a']);
    expect(f.statusOf('b')).toBe('pending');
  });
});

describe('History', () => {
  it('undoes and redoes in order, and keeps a step whose replay fails', async () => {
    const h = new History();
    const log: string[] = [];
    let fail = false;
    h.push({ what: 'one', undo: async () => void log.push('-1'), redo: async () => void log.push('+1') });
    h.push({ what: 'two', undo: async () => { if (fail) throw new Error('refused'); log.push('-2'); }, redo: async () => void log.push('+2') });
    fail = true;
    await expect(h.undo()).rejects.toThrow('refused');
    expect(h.nextUndo()).toBe('two');
    fail = false;
    await h.undo();
    await h.undo();
    await h.redo();
    expect(log).toEqual(['-2', '-1', '+1']);
    expect(h.nextRedo()).toBe('two');
    h.push({ what: 'three', undo: async () => undefined, redo: async () => undefined });
    expect(h.canRedo()).toBe(false);
  });
});

describe('endMarkerPlace', () => {
  const n = (node_id: string, component_type: string, x: number, y: number) => ({ node_id, component_type, position_x: x, position_y: y });
  it('is right of the nodes routing to the end, at their mean height', () => {
    const nodes = [n('s', 'switch', 100, 0), n('a', 'assertion', 500, 100), n('b', 'assertion', 300, 300)];
    expect(endMarkerPlace(nodes, [{ source_node_id: 'a', target_node_id: END_ID }, { source_node_id: 'b', target_node_id: END_ID }])).toEqual({ x: 800, y: 200 });
  });
  it('is right of the switches and assertions when nothing routes there yet', () => {
    expect(endMarkerPlace([n('t', 'trigger_manual', 900, 0), n('s', 'switch', 100, 50)], [])).toEqual({ x: 400, y: 50 });
  });
  it('is not there without a node that can route to it', () => {
    expect(endMarkerPlace([n('t', 'trigger_manual', 0, 0), n('w', 'wait', 100, 0)], [{ source_node_id: 't', target_node_id: 'w' }])).toBe(null);
  });
});
