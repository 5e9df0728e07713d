/**
 * Issue 14 for the signal scan, against a real coordinator (its verifier threads, Redis, WebSockets),
 * under the default policy (one result per unit, audited): a new host answering "nothing here", a new
 * host hiding a tone, and a host past probation inventing a hit at a huge score are all caught; their
 * results are invalid, their units recomputed, and the job's answer is exactly the three injected tones.
 * Hosts that run the kernel with some of SETI@home's searches taken out are caught too (fftscan version 4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkUnit } from '../../protocol/index.js';
import { AUDIT, OUTCOME } from '../../coordinator/store/unit-layout.js';
import { expectedWork } from '../../workunits/fftscan/audit.js';
import { EMPTY_BLOCK_DIGEST } from '../../workunits/fftscan/block-digest.js';
import fftscan from '../../workunits/fftscan/kind.js';
import type { BasebandUnit, Result } from '../../workunits/fftscan/params.js';
import type { Candidate } from '../../workunits/fftscan/types.js';
import { honestResult } from '../helpers/compute.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { waitFor } from '../helpers/processes.js';
import { TONES, TONES_CENTRE_HZ, TONES_RATE } from '../helpers/tones.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import { hostStanding } from '../helpers/verdict.js';
import { api } from './support.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => coord?.stop());

const L = 65536;
/** Issue 15's tones, regenerated from a seed (no upload): 64 s in 4 units of 16 s, 17 trial chirps each. */
const params = {
  source: { format: 'synthetic', seed: 15, sampleRateHz: TONES_RATE, centreFrequencyHz: TONES_CENTRE_HZ, sampleCount: 1 << 22, signals: TONES },
  fftSize: L, maxDrift: 4, unitSamples: 1 << 20,
};
/** A small scan of noise (4 units) on which a host earns its trust for the kind. */
const training = {
  source: { format: 'synthetic', seed: 3, sampleRateHz: 8192, centreFrequencyHz: 1e9, sampleCount: 1 << 16, signals: [] },
  fftSize: 4096, maxDrift: 1, unitSamples: 1 << 14,
};

async function submit(p: unknown): Promise<string> {
  const sub = await api(coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'fftscan', params: p } });
  expect(sub.status, JSON.stringify(sub.body)).toBe(201);
  expect(sub.body.policy).toMatchObject({ minQuorum: 1, targetResults: 1, audit: 2, probation: 3 });
  return sub.body.id as string;
}

async function connect(): Promise<FakeWorker> {
  const w = await FakeWorker.connect(coord.wsUrl);
  await w.hello({ kinds: [{ name: 'fftscan', version: fftscan.version }] });
  return w;
}

async function take(w: FakeWorker, n: number): Promise<WorkUnit[]> {
  const m = await w.request(n);
  if (m.type !== 'work') throw new Error(`no work: ${m.message}`);
  return m.units;
}

const honest = async (u: WorkUnit) => (await honestResult('fftscan', u.spec)) as Result;

async function send(w: FakeWorker, items: Array<{ u: WorkUnit; result: unknown }>) {
  w.send({ type: 'results', items: items.map(({ u, result }) => ({ leaseId: u.leaseId, result, cpuS: 0, elapsedS: 0 })) });
  expect((await w.next('ack')).items.every((i) => i.status === 'accepted')).toBe(true);
}

/** The replica `w` reported for `u`, once judged. */
const judged = (w: FakeWorker, u: WorkUnit) => waitFor(`unit ${u.unit} to be judged`, async () => {
  const h = await readUnitHash(coord.services.redis, coord.services.keys.prefix, u.jobId, u.unit);
  const mine = h.replicas.find((x) => x.host === w.hostId);
  return mine?.outcome ? mine : undefined;
}, 60_000);

/** Well formed and consistent, every block committed as empty: only an audit of a block with detections can tell. */
const nothingHere = (r: Result): Result => ({
  ...r, signals: [], peaks: [], detections: [], best: {}, dropped: 0, detectionCount: 0, droppedDetections: 0,
  blocks: r.blocks.map(() => ({ digest: EMPTY_BLOCK_DIGEST, detections: 0 })),
});

/** The strongest tone left out, everything else (digests included) as computed. */
const hideTone = (r: Result): Result => ({ ...r, signals: r.signals.slice(1), peaks: r.peaks.slice(1) });

/** A hit 5 kHz from the strongest tone at 100 times its score, one of that tone's detections moved to it so the counts add up. */
function inventHit(r: Result): Result {
  const s = r.signals[0];
  const fake: Candidate = { ...s, snr: s.snr * 100, frequencyHz: s.frequencyHz + 5000, startHz: s.startHz + 5000, endHz: s.endHz + 5000, detections: 1 };
  return { ...r, signals: [fake, { ...s, detections: s.detections - 1 }, ...r.signals.slice(1)], peaks: [r.peaks[0], ...r.peaks] };
}

/**
 * 13 s of noise under SETI@home's plan with its pulse and triplet searches (a synthetic recording has
 * no telescope slew, so no Gaussian search): its first units, at FFT lengths 8 and 16, take seconds.
 */
const seti = {
  source: { format: 'synthetic', seed: 21, sampleRateHz: 9765.625, centreFrequencyHz: 1.42e9, sampleCount: 1 << 17, signals: [] },
  preset: 'setiathome', detectors: ['spike', 'pulse', 'triplet'],
};

/**
 * What a lazy host sends: the unit scanned by the kind's own kernel with some of SETI@home's searches
 * left out (pulse folds: nine tenths of the time of these units; triplet searches: a tenth), claiming
 * the whole unit's work. On noise those searches report nothing, so the result's signals are the
 * honest ones. Leaving out the folds also leaves out the best-of pulse, which an audit of any block
 * shows; leaving out the triplets changes nothing but the block commitments, sealed with a witness of
 * what the searches computed (fftscan version 4).
 */
async function without(u: WorkUnit, searches: Array<'pulse' | 'triplet'>): Promise<Result> {
  const spec = u.spec as BasebandUnit;
  const lazy = { ...spec, detectors: { ...spec.detectors, ...Object.fromEntries(searches.map((x) => [x, null])) } };
  return { ...((await honestResult('fftscan', lazy)) as Result), work: expectedWork(spec) };
}

describe('fftscan under the default policy: forged results are caught and the answer is the injected tones', () => {
  it('"nothing here", a hidden tone and an invented hit are invalid; the answer has exactly three tones', async () => {
    // First a host earns its trust for the kind with honest results on a small job of its own.
    const inventor = await connect();
    await submit(training);
    const earned = await take(inventor, 4);
    expect(earned).toHaveLength(4);
    await send(inventor, await Promise.all(earned.map(async (u) => ({ u, result: await honest(u) }))));
    for (const u of earned) expect((await judged(inventor, u)).outcome).toBe(OUTCOME.valid);
    expect((await hostStanding(coord.services.redis, coord.services.keys.prefix, inventor.hostId, 'fftscan')).trust).toBe(4);

    const jobId = await submit(params);
    // Two new hosts (on probation: every block of their results is recomputed).
    const silent = await connect();
    const [a] = await take(silent, 1);
    const honestA = await honest(a);
    expect(honestA.signals.length).toBeGreaterThanOrEqual(3);
    await send(silent, [{ u: a, result: nothingHere(honestA) }]);
    const hider = await connect();
    const [b] = await take(hider, 1);
    await send(hider, [{ u: b, result: hideTone(await honest(b)) }]);

    // The trusted host invents a hit: the block its hit names is audited whatever the draw.
    const [c] = await take(inventor, 1);
    await send(inventor, [{ u: c, result: inventHit(await honest(c)) }]);

    for (const [w, u] of [[silent, a], [hider, b], [inventor, c]] as const) {
      const r = await judged(w, u);
      expect(r.audit, `unit ${u.unit}`).toBe(AUDIT.failed);
      expect(r.outcome, `unit ${u.unit}`).toBe(OUTCOME.invalid);
    }
    // Credit reaches the totals in batches (credit-ledger.ts): what was granted so far, added now.
    await coord.services.credit.flush();
    for (const w of [silent, hider]) expect((await hostStanding(coord.services.redis, coord.services.keys.prefix, w.hostId, 'fftscan')).credit).toBe(0);
    expect((await hostStanding(coord.services.redis, coord.services.keys.prefix, inventor.hostId, 'fftscan')).trust).toBe(0);

    // An honest host does the rest, the three lied-about units included.
    const good = await connect();
    const doc = await waitFor('job done', async () => {
      const units = await take(good, 2).catch(() => []);
      if (units.length) await send(good, await Promise.all(units.map(async (u) => ({ u, result: await honest(u) }))));
      const d = await api(coord.url, 'GET', `/api/jobs/${jobId}`, { token: adminToken() });
      return d.body.state === 'done' ? d.body : undefined;
    }, 300_000);
    const { candidates } = doc.result as { candidates: Candidate[] };
    expect(candidates).toHaveLength(TONES.length);
    for (const tone of TONES) {
      const hit = candidates.filter((x) => Math.abs(x.frequencyHz - TONES_CENTRE_HZ - tone.offsetHz) <= TONES_RATE / L);
      expect(hit, `tone at ${tone.offsetHz} Hz`).toHaveLength(1);
      expect(Math.abs(hit[0].driftHzPerS - tone.driftHzPerS)).toBeLessThanOrEqual(0.5);
    }
    for (const w of [silent, hider, inventor, good]) w.close();
  }, 400_000);
});

describe('fftscan: hosts that skip some of SETI@home\'s searches', () => {
  it('are caught by their audits, on probation and once trusted; an honest host beside them is not', async () => {
    const trusted = await connect();
    await submit(training);
    const earned = await take(trusted, 4);
    await send(trusted, await Promise.all(earned.map(async (u) => ({ u, result: await honest(u) }))));
    for (const u of earned) expect((await judged(trusted, u)).outcome).toBe(OUTCOME.valid);

    await submit(seti);
    const newcomer = await connect();
    const good = await connect();
    const [a] = await take(newcomer, 1);
    const [b] = await take(trusted, 1);
    const [c] = await take(good, 1);
    const lazyA = await without(a, ['pulse', 'triplet']);
    const lazyB = await without(b, ['triplet']);
    const honestB = await honest(b);
    // Both pass the kind's own check. Without its triplet searches, b's result differs from the honest
    // one in its block commitments alone, every one of them: a trusted host's two audited blocks are
    // enough, and nothing else could tell.
    expect(fftscan.check!(a.spec as BasebandUnit, lazyA)).toBe(true);
    expect(fftscan.check!(b.spec as BasebandUnit, lazyB)).toBe(true);
    expect({ ...lazyB, blocks: [] }).toEqual({ ...honestB, blocks: [] });
    expect(lazyB.blocks.every((x, i) => x.digest !== honestB.blocks[i].digest && x.detections === honestB.blocks[i].detections)).toBe(true);
    await send(newcomer, [{ u: a, result: lazyA }]);
    await send(trusted, [{ u: b, result: lazyB }]);
    await send(good, [{ u: c, result: await honest(c) }]);

    for (const [w, u] of [[newcomer, a], [trusted, b]] as const) {
      const r = await judged(w, u);
      expect(r.audit, `unit ${u.unit}`).toBe(AUDIT.failed);
      expect(r.outcome, `unit ${u.unit}`).toBe(OUTCOME.invalid);
    }
    expect((await judged(good, c)).outcome).toBe(OUTCOME.valid);
    // Credit reaches the totals in batches (credit-ledger.ts): what was granted so far, added now.
    await coord.services.credit.flush();
    expect((await hostStanding(coord.services.redis, coord.services.keys.prefix, newcomer.hostId, 'fftscan')).credit).toBe(0);
    expect((await hostStanding(coord.services.redis, coord.services.keys.prefix, trusted.hostId, 'fftscan')).trust).toBe(0);
    expect((await hostStanding(coord.services.redis, coord.services.keys.prefix, good.hostId, 'fftscan')).credit).toBeGreaterThan(0);
    for (const w of [newcomer, trusted, good]) w.close();
  }, 300_000);
});
