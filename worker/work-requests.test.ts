import { describe, expect, it } from 'vitest';
import { NoWorkReason, type WorkerMessage } from '../protocol/index.js';
import { NO_WORK_TEXT, WorkRequests, noWorkText } from './work-requests.js';

const state = { threads: 2, bufferUnits: 1, bufferMinutes: 0, held: [], rates: {}, now: 0 };

describe('asking for work, and why none comes', () => {
  it('says each reason of the coordinator in its own words', () => {
    expect(Object.keys(NO_WORK_TEXT).sort()).toEqual([...NoWorkReason.options].sort());
    expect(noWorkText({ reason: 'no_jobs', message: 'whatever the coordinator says' })).toBe('no jobs are queued');
    expect(noWorkText({ reason: 'all_leased', message: '' })).toBe('every unit of the running jobs is out with other hosts or being validated');
    expect(noWorkText({ reason: 'needs_other_host', message: '' })).toBe('the units left need a host other than this one (replicas of a unit never share a host or an account)');
    expect(noWorkText({ reason: 'incompatible', message: '' })).toBe('the queued jobs are of kinds this worker does not run (a newer idlegrid may)');
    expect(noWorkText({ reason: 'quota', message: 'this host already holds 8 units (limit 8)' })).toBe('this host holds as many units as the coordinator allows (this host already holds 8 units (limit 8))');
  });

  it('keeps one request in flight, remembers why none came, and forgets it when work comes or the link goes', () => {
    const sent: WorkerMessage[] = [];
    let again = 0;
    const r = new WorkRequests((m) => sent.push(m) > 0, () => again++);
    r.fill(state);
    r.fill(state);
    expect(sent).toEqual([{ type: 'request', count: 3 }]);
    r.none({ type: 'no_work', reason: 'all_leased', message: '', retryMs: 60_000 }, false);
    expect(r.why).toBe(NO_WORK_TEXT.all_leased);
    r.fill(state);
    expect(sent).toHaveLength(2);
    r.got();
    expect(r.why).toBeNull();
    r.none({ type: 'no_work', reason: 'quota', message: 'full', retryMs: 60_000 }, true);
    expect(r.why).toBeNull(); // a full quota with units in hand is not news
    r.none({ type: 'no_work', reason: 'no_jobs', message: '', retryMs: 60_000 }, false);
    r.reset();
    expect(r.why).toBeNull();
    r.stop();
    expect(again).toBe(0);
  });

  it('asks nothing while the link cannot send, and asks again once it can', () => {
    let up = false;
    const sent: WorkerMessage[] = [];
    const r = new WorkRequests((m) => up && sent.push(m) > 0, () => {});
    r.fill(state);
    up = true;
    r.fill(state);
    expect(sent).toHaveLength(1);
  });
});
