/**
 * Hostile volunteers against the key search under the DEFAULT policy (no policy submitted: one replica
 * per unit, audits, probation, ringers and decoys). Real processes: 7 honest `idlegrid worker`s and, per
 * scenario, 3 hostile hosts (30% of the hosts), each its own process on its own loopback address with its
 * own fresh account, speaking the wire protocol from the docs (test/helpers/hostile-host.ts). The hostile
 * hosts are online before the job is submitted, so they take what they can first.
 *
 * Each scenario asserts: the job's answer is exactly its planted key (a fresh random one each time),
 * every unit's canonical result equals an honest computation, no lie ended judged valid, liars and
 * their accounts got no credit for lies (pure liars: none at all), and honest hosts lost nothing.
 * docs/security.md ("Measured") has the numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostileGrid, type KeyJob } from '../helpers/hostile-grid.js';
import { startHostile, type HostileHost, type HostileOptions } from '../helpers/hostile.js';
import { accountCredit, hostStanding, keysearchVerdict, liesJudgedValid, stored } from '../helpers/verdict.js';

const HONEST = 7;
const HOSTILE = 3;
const UNITS = 24;
const UNIT_KEYS = 2 ** 12;

let grid: HostileGrid;
const hostile: HostileHost[] = [];
beforeAll(async () => {
  grid = await HostileGrid.start(HONEST);
}, 90_000);
afterAll(async () => {
  await Promise.all(hostile.map((h) => h.stop()));
  await grid?.stop();
});

interface Outcome {
  job: KeyJob;
  doc: any;
  hosts: HostileHost[];
  liesSent: number;
  liesStored: number;
}

/** Start the hostile hosts, then submit the job with no policy and check everything once it ends. */
async function scenario(name: string, opts: HostileOptions, exhaustive = true): Promise<Outcome> {
  const hosts = await Promise.all(Array.from({ length: HOSTILE }, () => startHostile(grid.url, { ownAccount: true, ...opts })));
  hostile.push(...hosts);
  await Promise.all(hosts.map((h) => h.welcomed()));
  const honestBefore = await Promise.all(grid.honestIds.map((id) => hostStanding(grid.redis, grid.prefix, id)));

  const job = await grid.submitKeySearch(UNITS, UNIT_KEYS, exhaustive);
  const doc = await grid.waitForEnd(job.id);
  await Promise.all(hosts.map((h) => h.stop()));

  // The answer: exactly the planted key.
  expect(doc.state, name).toBe('done');
  expect(doc.result.found, name).toEqual([{ key: job.key }]);

  const verdict = await keysearchVerdict(grid.redis, grid.prefix, job.id, job.params);
  expect(verdict.wrongUnits, `${name}: units whose canonical result is not an honest one`).toEqual([]);
  if (exhaustive) expect(verdict.unsettled, `${name}: units not valid`).toEqual([]);

  // No lie ended valid, and lies were really told and stored (the scenario exercised something).
  const lies = new Set(hosts.flatMap((h) => [...h.lies()]));
  const liesStored = stored(verdict, lies).length;
  expect(liesJudgedValid(verdict, lies).map((x) => x.leaseId), `${name}: lies judged valid`).toEqual([]);
  expect(liesStored, `${name}: lies stored`).toBeGreaterThan(0);

  // Liars: credit only for results that were not lies (none for a host that lies in every result), the
  // same for their accounts, and every lie counted against them.
  for (const h of hosts) {
    const s = await hostStanding(grid.redis, grid.prefix, h.hostId!);
    const honestResults = [...h.sent()].filter((l) => !h.lies().has(l));
    expect(s.credit, `${name}: ${h.hostId} credit`).toBeCloseTo(s.nValid * job.unitCredit, 12);
    expect(s.nValid, `${name}: ${h.hostId} valid results`).toBeLessThanOrEqual(honestResults.length);
    expect(await accountCredit(grid.redis, grid.prefix, h.account!.id), `${name}: ${h.hostId}'s account credit`).toBeCloseTo(s.credit, 12);
    if (!honestResults.length) expect(s.credit, `${name}: ${h.hostId} lied every time`).toBe(0);
    const mine = stored(verdict, h.lies()).length;
    expect(s.nInvalid, `${name}: ${h.hostId} invalid results`).toBeGreaterThanOrEqual(mine);
  }

  // Honest hosts: never judged invalid, paid exactly for what validated.
  const honestAfter = await Promise.all(grid.honestIds.map((id) => hostStanding(grid.redis, grid.prefix, id)));
  honestAfter.forEach((s, i) => {
    expect(s.nInvalid, `${name}: honest host ${grid.honestIds[i]}`).toBe(honestBefore[i].nInvalid);
    expect(s.credit).toBeCloseTo(s.nValid * job.unitCredit, 12);
  });
  const honestValid = honestAfter.reduce((n, s, i) => n + s.nValid - honestBefore[i].nValid, 0);
  const numbers = {
    scenario: name, units: UNITS, hostile: hosts.length, honest: HONEST, liesSent: lies.size, liesStored,
    liesJudgedValid: 0, caught: hosts.map((h) => h.hostId), honestValid,
    hostileValid: (await Promise.all(hosts.map((h) => hostStanding(grid.redis, grid.prefix, h.hostId!)))).map((s) => s.nValid),
  };
  console.log(`hostile keysearch: ${JSON.stringify(numbers)}`);
  return { job, doc, hosts, liesSent: lies.size, liesStored };
}

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

  it('hiders: compute honestly, drop every find of a target that every unit shares', async () => {
    await scenario('hiders', { behaviour: 'hide' });
  }, 180_000);

  it('inventors: compute honestly, add a found key that does not open its target', async () => {
    await scenario('inventors', { behaviour: 'invent' });
  }, 180_000);
});
