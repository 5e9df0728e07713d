/**
 * Hostile volunteers against the key search under the DEFAULT policy (no policy submitted: one replica
 * per unit, audits, probation, ringers and decoys). Real processes: 7 honest `idlegrid worker`s and, per
 * scenario, 3 hostile hosts (30% of the hosts), each its own process on its own loopback address with its
 * own fresh account, speaking the wire protocol from the docs (test/helpers/hostile-host.ts). The hostile
 * hosts are online before the job is submitted, so they take what they can first.
 *
 * Each scenario asserts (test/helpers/hostile-scenario.ts): the job's answer is exactly its planted key (a
 * fresh random one each time), every unit's canonical result equals an honest computation, no lie ended
 * judged valid, liars and their accounts got no credit for lies (pure liars: none at all), and honest
 * hosts lost nothing. Hoarders: the job beside them takes a small multiple of its time alone.
 * docs/security.md ("Measured") has the numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostileGrid } from '../helpers/hostile-grid.js';
import { hoardScenario, hostileScenario, type ScenarioKind } from '../helpers/hostile-scenario.js';
import type { HostileHost, HostileOptions } from '../helpers/hostile.js';
import { keysearchVerdict } from '../helpers/verdict.js';

const HONEST = 7;
const HOSTILE = 3;
const UNITS = 24;
const UNIT_KEYS = 2 ** 12;

let grid: HostileGrid;
const hostile: HostileHost[] = [];
beforeAll(async () => {
  // Heartbeats every 500 ms: a silent hoarder loses its units 1.5 s after its last word, not 45 s.
  grid = await HostileGrid.start(HONEST, { heartbeatMs: 500 });
}, 90_000);
afterAll(async () => {
  await Promise.all(hostile.map((h) => h.stop()));
  await grid?.stop();
});

function keysearch(exhaustive: boolean, units = UNITS, unitKeys = UNIT_KEYS): ScenarioKind {
  let params: any;
  let key = '';
  return {
    kind: 'keysearch',
    exhaustive,
    async submit() {
      const job = await grid.submitKeySearch(units, unitKeys, exhaustive);
      params = job.params;
      key = job.key;
      return { id: job.id, unitCredit: job.unitCredit };
    },
    expectAnswer: (doc, name) => expect(doc.result.found, name).toEqual([{ key }]),
    verdict: (id) => keysearchVerdict(grid.redis, grid.prefix, id, params),
  };
}

const scenario = (name: string, opts: HostileOptions, exhaustive = true) => hostileScenario(grid, name, HOSTILE, opts, keysearch(exhaustive), hostile);

describe('hostile hosts against a key search under the default policy', () => {
  it('random liars: computed results corrupted at random', async () => {
    await scenario('random liars', { behaviour: 'random' });
  }, 180_000);

  it('colluding Sybils: own accounts, own addresses, the same wrong answer', async () => {
    const { hosts } = await scenario('colluding Sybils', { behaviour: 'sybil' });
    expect(new Set(hosts.map((h) => h.account!.id)).size).toBe(HOSTILE);
    expect(new Set(hosts.map((h) => h.address)).size).toBe(HOSTILE);
  }, 180_000);

  it('instant answerers: the right key count, an invented digest, no key, at once (a job that stops at its key)', async () => {
    await scenario('instant answerers', { behaviour: 'instant' }, false);
  }, 180_000);

  it('skippers: compute 90% of a unit, invent the other blocks\' digests and drop what they found', async () => {
    await scenario('skippers', { behaviour: 'skip', skip: 0.1 });
  }, 180_000);

  it('skippers that earn trust first: 3 honest results, then 90%', async () => {
    await scenario('trusted skippers', { behaviour: 'skip', skip: 0.1, honestFirst: 3 });
  }, 180_000);

  it('hiders: compute honestly, drop every find of a target that every unit shares', async () => {
    await scenario('hiders', { behaviour: 'hide' });
  }, 180_000);

  it('inventors: compute honestly, add a found key that does not open its target', async () => {
    await scenario('inventors', { behaviour: 'invent' });
  }, 180_000);

  it('hoarders: take all they can and go silent (one drops its connection); the job barely slows', async () => {
    // More units than three new hosts may hold (3 x 32), so honest hosts always have work beside them.
    await hoardScenario(grid, HOSTILE, keysearch(true, 192, 2 ** 15), hostile);
  }, 240_000);
});
