import { describe, expect, it } from 'vitest';
import { stateLine, type StateFacts } from './state-line.js';

const facts = (f: Partial<StateFacts> = {}): StateFacts => ({ hold: null, finishing: false, welcomed: true, running: 0, queued: 0, outbox: 0, down: null, noWork: null, ...f });

describe('state line', () => {
  it('says what the worker does and why, the most pressing reason first', () => {
    expect(stateLine(facts({ running: 2 }))).toBe('running');
    expect(stateLine(facts({ running: 2, hold: 'on battery' }))).toBe('paused: on battery');
    expect(stateLine(facts({ noWork: 'no jobs are queued' }))).toBe('waiting for work: no jobs are queued');
    expect(stateLine(facts({ down: 'coordinator down (connection refused)', noWork: 'no jobs are queued' }))).toBe('waiting for work: coordinator down (connection refused)');
    expect(stateLine(facts({ finishing: true, running: 1, queued: 1, outbox: 2 }))).toBe('finishing the units in hand (2 left, 2 result(s) to deliver)');
    expect(stateLine(facts({ finishing: true, welcomed: false, down: 'connecting' }))).toMatch(/^finishing: waiting for the coordinator to say which units this host holds/);
    expect(stateLine(facts())).toBe('waiting for work');
  });
});
