/**
 * Group commit (group-commit.ts) on its own: what waits behind a call goes in the next, up to the weight
 * bound; a call that fails fails the requests it carried and no others; each request gets its own answer.
 * The store's uses of it are tested against a real Redis (report-queue.test.ts, dispatch.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.js';

/** A caller whose calls wait until released, recording what each carried. */
function gated() {
  const calls: number[][] = [];
  const gates: Array<(fail?: boolean) => void> = [];
  const g = new GroupCommit<number, string>((reqs) => {
    calls.push(reqs);
    return new Promise((resolve, reject) => {
      gates.push((fail) => (fail ? reject(new Error(`call ${calls.length} failed`)) : resolve(reqs.map((r) => `answer ${r}`))));
    });
  }, (r) => r, { concurrency: 1, maxWeight: 10 });
  return { g, calls, gates };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('sends the first request at once and gathers the rest, up to the weight bound', async () => {
    const { g, calls, gates } = gated();
    const answers = [1, 4, 5, 3, 12].map((r) => g.submit(r));
    await tick();
    expect(calls).toEqual([[1]]);
    gates[0]();
    await tick();
    // 4 + 5 = 9 fits in 10, 3 more would not.
    expect(calls[1]).toEqual([4, 5]);
    gates[1]();
    await tick();
    // A request heavier than the bound goes, alone or not, rather than never.
    expect(calls[2]).toEqual([3]);
    gates[2]();
    await tick();
    expect(calls[3]).toEqual([12]);
    gates[3]();
    expect(await Promise.all(answers)).toEqual(['answer 1', 'answer 4', 'answer 5', 'answer 3', 'answer 12']);
    expect([g.calls, g.requests]).toEqual([4, 5]);
  });

  it('fails the requests of a failed call only, and goes on with the next', async () => {
    const { g, calls, gates } = gated();
    const answers = [1, 2, 3].map((r) => g.submit(r).catch((e: Error) => e.message));
    await tick();
    gates[0](true);
    await tick();
    expect(calls[1]).toEqual([2, 3]);
    gates[1]();
    expect(await Promise.all(answers)).toEqual(['call 1 failed', 'answer 2', 'answer 3']);
  });

  it('fails every request of a call that throws before it starts, or answers the wrong number', async () => {
    const thrower = new GroupCommit<number, string>(() => { throw new Error('no connection'); }, () => 1);
    await expect(thrower.submit(1)).rejects.toThrow('no connection');
    const short = new GroupCommit<number, string>(async () => ['only one'], () => 1, { concurrency: 1 });
    const both = [short.submit(1), short.submit(2), short.submit(3)].map((p) => p.catch((e: Error) => e.message));
    expect(await Promise.all(both)).toEqual(['only one', 'a gathered call answered 1 of 2 requests', 'a gathered call answered 1 of 2 requests']);
  });
});
