import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { ValidationQueue, type UnitRef } from './validation-queue.js';

const log = pino({ level: 'silent' });
const units = (job: string, from: number, n: number): UnitRef[] => Array.from({ length: n }, (_, i) => ({ jobId: job, unit: from + i }));
/** The unit numbers of each round a validator was given. */
const unitsOf = (rounds: UnitRef[][]): number[][] => rounds.map((r) => r.map((u) => u.unit));

/** A validator whose rounds finish only when the test says so. */
function gatedValidator() {
  const rounds: UnitRef[][] = [];
  const gates: Array<() => void> = [];
  const validate = (round: UnitRef[]) => {
    rounds.push(round);
    return new Promise<void>((resolve) => gates.push(resolve));
  };
  const open = async () => {
    while (!gates.length) await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { rounds, validate, open };
}

describe('ValidationQueue', () => {
  it('validates what several connections queued in shared rounds, each unit once', async () => {
    const v = gatedValidator();
    const q = new ValidationQueue(v.validate, log, { roundSize: 4, concurrency: 1 });
    await q.add(units('a', 0, 2));
    // The first round is out; these wait and are taken together.
    await q.add(units('b', 0, 2));
    await q.add([{ jobId: 'a', unit: 5 }, { jobId: 'b', unit: 1 }]);
    await v.open();
    await v.open();
    await q.idle();
    expect(v.rounds.map((r) => r.map((u) => `${u.jobId}.${u.unit}`))).toEqual([['a.0', 'a.1'], ['b.0', 'b.1', 'a.5']]);
    expect(q.size).toBe(0);
  });

  it('makes a flooding connection wait until the rounds catch up, and no one else', async () => {
    const v = gatedValidator();
    const q = new ValidationQueue(v.validate, log, { roundSize: 2, maxPending: 3, concurrency: 1 });
    await q.add(units('a', 0, 2));
    let released = false;
    const flood = q.add(units('a', 10, 5)).then(() => { released = true; });
    await new Promise((r) => setImmediate(r));
    expect(q.size).toBe(5);
    expect(released).toBe(false);
    await v.open(); // round 1 done; round 2 takes two, three left: at the bound
    await flood;
    expect(released).toBe(true);
    expect(q.size).toBe(3);
    for (let i = 0; i < 3; i++) await v.open();
    await q.idle();
    expect(v.rounds.map((r) => r.length)).toEqual([2, 2, 2, 1]);
  });

  it('goes on after a round fails (those units stay in Redis for the transitioner)', async () => {
    const seen: number[] = [];
    const q = new ValidationQueue(async (round) => {
      seen.push(...round.map((u) => u.unit));
      if (round.some((u) => u.unit === 0)) throw new Error('Redis went away');
    }, log, { roundSize: 1, concurrency: 1 });
    await q.add(units('a', 0, 3));
    await q.idle();
    expect(seen).toEqual([0, 1, 2]);
  });

  it('drops what is queued when closed, and takes nothing after', async () => {
    const v = gatedValidator();
    const q = new ValidationQueue(v.validate, log, { roundSize: 1, concurrency: 1 });
    await q.add(units('a', 0, 3));
    q.close();
    await v.open();
    await q.idle();
    await q.add(units('a', 9, 1));
    expect(v.rounds).toHaveLength(1);
    expect(q.size).toBe(0);
  });

  it('keeps several rounds in flight, and a unit queued again while a round has it waits for that round', async () => {
    const v = gatedValidator();
    const q = new ValidationQueue(v.validate, log, { roundSize: 2, concurrency: 2 });
    await q.add(units('a', 0, 2));
    await q.add(units('a', 2, 2));
    // Two rounds out; a third waits for room, and unit a.0 (out in round 1) must not join a round yet.
    await q.add([{ jobId: 'a', unit: 0 }, { jobId: 'a', unit: 9 }]);
    expect(unitsOf(v.rounds)).toEqual([[0, 1], [2, 3]]);
    await v.open(); // round 1 back: a.0 may go again now, with a.9
    expect(unitsOf(v.rounds)).toEqual([[0, 1], [2, 3], [0, 9]]);
    await v.open();
    await v.open();
    await q.idle();
    expect(q.size).toBe(0);
  });

  it('holds back a unit that is in flight rather than spinning when nothing else is queued', async () => {
    const v = gatedValidator();
    const q = new ValidationQueue(v.validate, log, { roundSize: 2, concurrency: 2 });
    await q.add(units('a', 0, 1));
    await q.add(units('a', 0, 1));
    expect(v.rounds).toHaveLength(1);
    expect(q.size).toBe(1);
    await v.open();
    expect(unitsOf(v.rounds)).toEqual([[0], [0]]);
    await v.open();
    await q.idle();
  });
});
