import { describe, expect, it } from 'vitest';
import { applyEvent, emptyProgress, replyFromOutput, type TurnProgress } from './conversation';
import type { LiveEvent } from '../events/live';

const ev = (type: string, data: Record<string, unknown>): LiveEvent => ({ type, data, execution_id: 'x' });
const run = (events: LiveEvent[]): TurnProgress => events.reduce(applyEvent, emptyProgress());

describe('a chat turn from live events', () => {
  it('adds the streamed pieces in order', () => {
    const p = run([ev('chat_delta', { node_id: 'a', message_id: 'm1', text: 'Hel' }), ev('chat_delta', { node_id: 'a', message_id: 'm1', text: 'lo' })]);
    expect(p.items).toEqual([{ kind: 'message', id: 'm1', text: 'Hello', final: false }]);
  });

  it('starts over on a reset', () => {
    const p = run([
      ev('chat_delta', { message_id: 'm1', text: 'Wro' }),
      ev('chat_delta', { message_id: 'm1', text: '', reset: true }),
      ev('chat_delta', { message_id: 'm1', text: 'Right' }),
    ]);
    expect(p.items[0]).toMatchObject({ text: 'Right' });
  });

  it('replaces the pieces with the whole message, and ignores late pieces', () => {
    const p = run([
      ev('chat_delta', { message_id: 'm1', text: 'Hel' }),
      ev('chat_message', { message_id: 'm1', text: 'Hello there' }),
      ev('chat_delta', { message_id: 'm1', text: 'lo' }),
    ]);
    expect(p.items).toEqual([{ kind: 'message', id: 'm1', text: 'Hello there', final: true }]);
  });

  it('shows tool calls as they run and end, and ignores other node events', () => {
    const p = run([
      ev('node_status', { node_id: 'calc', status: 'running', tool_name: 'calculator', is_tool_call: true }),
      ev('node_status', { node_id: 'agent', status: 'running' }),
      ev('node_status', { node_id: 'calc', status: 'success', tool_name: 'calculator', is_tool_call: true }),
      ev('node_status', { node_id: 'calc', status: 'running', tool_name: 'calculator', is_tool_call: true }),
    ]);
    expect(p.items.map((i) => (i.kind === 'tool' ? i.status : i.kind))).toEqual(['success', 'running']);
  });

  it('ends with the execution', () => {
    expect(run([ev('execution_completed', {})]).state).toBe('completed');
    expect(run([ev('execution_failed', { error: 'no' })])).toMatchObject({ state: 'failed', error: 'no' });
  });

  it('reads a reply from a final output', () => {
    expect(replyFromOutput({ output: 'hi' })).toBe('hi');
    expect(replyFromOutput({ message: 'from the agent' })).toBe('from the agent');
    expect(replyFromOutput('hi')).toBe('hi');
    expect(replyFromOutput({ other: 1 })).toBe('');
  });
});
