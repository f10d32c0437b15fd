import { describe, expect, it } from 'vitest';
import { SeqTracker } from './live';

describe('SeqTracker', () => {
  it('accepts events in order and reports a gap', () => {
    const t = new SeqTracker();
    expect(t.accept({ type: 'a', execution_id: 'x', seq: 1 })).toEqual({ inOrder: true, duplicate: false });
    expect(t.accept({ type: 'a', execution_id: 'x', seq: 2 }).inOrder).toBe(true);
    expect(t.accept({ type: 'a', execution_id: 'x', seq: 4 }).inOrder).toBe(false);
  });
  it('drops replays after a reconnect', () => {
    const t = new SeqTracker();
    t.accept({ type: 'a', execution_id: 'x', seq: 3 });
    expect(t.accept({ type: 'a', execution_id: 'x', seq: 3 }).duplicate).toBe(true);
    expect(t.accept({ type: 'a', execution_id: 'x', seq: 2 }).duplicate).toBe(true);
  });
  it('keeps executions apart and lets REST move the mark', () => {
    const t = new SeqTracker();
    t.accept({ type: 'a', execution_id: 'x', seq: 1 });
    t.accept({ type: 'a', execution_id: 'y', seq: 5 });
    t.known('x', 7);
    expect(t.accept({ type: 'a', execution_id: 'x', seq: 8 }).inOrder).toBe(true);
    expect(t.accept({ type: 'a', execution_id: 'y', seq: 6 }).inOrder).toBe(true);
  });
  it('ignores events without a seq', () => {
    const t = new SeqTracker();
    expect(t.accept({ type: 'chat_delta' })).toEqual({ inOrder: true, duplicate: false });
  });
});
