/**
 * The seeded protocol fuzzer: 100,000 malformed, truncated, oversized and out-of-order frames over 2,000
 * real WebSocket connections to a live coordinator, 8 at a time. Every frame must get the answer the
 * oracle (fuzz-model.ts) says it is owed, in order: a coded error, a normal reply, or a close. Meanwhile an
 * honest worker keeps asking for work and must keep getting it, leases held by another host must stay
 * untouched, and the coordinator's heap must not grow between warm-up and the end.
 *
 * A failure prints its seed and scenario index; rerun it with IDLEGRID_FUZZ_SEED and IDLEGRID_FUZZ_SCENARIO,
 * then add it to REGRESSIONS so it stays fixed. IDLEGRID_FUZZ_SEED alone explores another stream.
 */
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLICA_STATE } from '../../coordinator/store/unit-layout.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import { CoordinatorMessage, ERRORS, parseLeaseId } from '../../protocol/index.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { waitFor } from '../helpers/processes.js';
import { api, keyJobParams } from './support.js';
import { FRAMES_PER_SCENARIO, materialize, oracle, scenario, type Context, type Frame, type Reply } from './fuzz-model.js';

const SEED = Number(process.env.IDLEGRID_FUZZ_SEED ?? 0x1d1e6);
const SCENARIOS = 2_000;
const PARALLEL = 8;
const WARM_UP = 200;

/** Scenarios that once failed: each reruns alone, every run. */
const REGRESSIONS: Array<{ seed: number; index: number; why: string }> = [
  { seed: 0x1d1e6, index: 2, why: 'a socket closed while its hello was in Redis stayed in the host registry for good' },
  { seed: 0x1d1e6, index: 1, why: 'progress for made-up lease ids grew the progress map without bound' },
  { seed: 31337, index: 395, why: 'zod threw on {"items":{"length":{"toString":…}}}: INTERNAL instead of BAD_MESSAGE' },
];

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let coord: TestCoordinator;
let holder: FakeWorker;
let base: Omit<Context, 'hostId' | 'hostSecret'>;

beforeAll(async () => {
  coord = await startTestCoordinator();
  // A job far too large to run out, so honest requests always have work to get.
  const { params } = keyJobParams({ count: 2 ** 40, unitSize: 2 ** 20, keyOffset: 5 });
  const sub = await api(coord.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params } });
  expect(sub.status).toBe(201);
  holder = await FakeWorker.connect(coord.wsUrl);
  await holder.hello();
  const held = await holder.request(4);
  if (held.type !== 'work') throw new Error('the holder got no work');
  // Scenarios pick among these leases: their number is part of what a seed reproduces.
  expect(held.units).toHaveLength(4);
  base = { takenHostId: holder.hostId, foreignLeases: held.units.map((u) => u.leaseId) };
});
afterAll(async () => {
  holder?.close();
  await coord?.stop();
});

const ctxFor = (index: number): Context => ({ ...base, hostId: `h-fuzz-${index}-${randomBytes(4).toString('hex')}`, hostSecret: randomBytes(24).toString('hex') });

function frames(seed: number, index: number, ctx: Context): Frame[] {
  return fc.sample(scenario(ctx), { seed: seed + index, numRuns: 1 })[0];
}

/** Sends one scenario on its own connection and checks every answer against the oracle. */
async function runScenario(seed: number, index: number, whileOpen?: () => void | Promise<void>): Promise<void> {
  const ctx = ctxFor(index);
  const fs = frames(seed, index, ctx);
  const { replies, orderedClose, transportClose } = oracle(fs, ctx);
  const mayClose = orderedClose !== null || transportClose !== null;
  const ws = new WebSocket(coord.wsUrl, { maxPayload: 64 << 20 });
  const got: Answer[] = [];
  let closed: number | null = null;
  await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  const settled = new Promise<void>((resolve) => {
    const check = () => { if (closed !== null || (!mayClose && got.length >= replies.length)) resolve(); };
    ws.on('message', (d) => {
      // A reply outside the protocol is kept as such, so it fails below with the seed, not as a throw here.
      const m = CoordinatorMessage.safeParse(JSON.parse(d.toString()));
      if (!m.success) got.push({ type: 'outside the protocol', raw: d.toString().slice(0, 300) });
      else if (m.data.type !== 'cancel' && m.data.type !== 'credit') got.push(m.data);
      check();
    });
    ws.on('close', (code) => { closed = code; check(); });
    ws.on('error', () => {});
    check();
  });
  for (const f of fs) {
    const { data, binary } = materialize(f);
    ws.send(data, { binary });
  }
  const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('no answer within 15 s')), 15_000).unref());
  try {
    await Promise.race([settled, timeout]);
    const where = `seed ${seed} scenario ${index} (rerun: IDLEGRID_FUZZ_SEED=${seed} IDLEGRID_FUZZ_SCENARIO=${index})`;
    // A frame the socket layer refuses makes the server drop the TCP connection; when the drop outruns
    // the close frame (a loaded machine, or an ordered close already under way) the client sees 1006,
    // no close frame: still a close.
    const codes = [orderedClose, transportClose, ...(transportClose !== null ? [1006] : [])];
    if (!mayClose) expect(closed, `${where}: unexpected close`).toBeNull();
    else expect(codes, `${where}: close code`).toContain(closed);
    // All answers up to an ordered close; any other close may cut them short, never garble them.
    const n = closed === orderedClose ? replies.length : Math.min(got.length, replies.length);
    expect(got.length, `${where}: ${got.length} answers before close ${closed}: ${JSON.stringify(got).slice(0, 400)}`).toBeGreaterThanOrEqual(n);
    for (let i = 0; i < n; i++) expect(matches(replies[i], got[i]), `${where}: answer ${i} ${JSON.stringify(got[i]).slice(0, 300)} for ${JSON.stringify(replies[i])}`).toBe(true);
    await whileOpen?.();
  } finally {
    ws.terminate();
  }
}

/** What the coordinator said: a protocol message, or something outside the protocol (always a failure). */
type Answer = CoordinatorMessage | { type: 'outside the protocol'; raw: string };

function matches(e: Reply, m: Answer): boolean {
  if (m.type === 'outside the protocol') return false;
  if (e.reply === 'error') return m.type === 'error' && m.code === e.code && m.code in ERRORS;
  if (e.reply === 'work') return m.type === 'work' || m.type === 'no_work';
  if (e.reply === 'ack') return m.type === 'ack' && m.items.every((i) => i.status === 'rejected' && i.error !== undefined && i.error.code in ERRORS);
  return m.type === e.reply;
}

/** An honest host asking for one unit at a time and handing it back, until told to stop. */
async function honestLoop(stop: () => boolean): Promise<{ served: number; slowestMs: number }> {
  const w = await FakeWorker.connect(coord.wsUrl);
  await w.hello();
  let served = 0;
  let slowestMs = 0;
  while (!stop()) {
    const t = Date.now();
    const reply = await w.request(1);
    slowestMs = Math.max(slowestMs, Date.now() - t);
    expect(reply.type).toBe('work');
    if (reply.type === 'work') w.send({ type: 'release', leaseIds: reply.units.map((u) => u.leaseId), reason: 'honest loop' });
    served++;
    await new Promise((r) => setTimeout(r, 20));
  }
  const gone = new Promise((r) => w.ws.once('close', r));
  w.close();
  await gone;
  return { served, slowestMs };
}

const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

describe('protocol fuzzer', () => {
  const only = process.env.IDLEGRID_FUZZ_SCENARIO;

  // IDLEGRID_FUZZ_SCENARIO=<n> (with the printed seed) reruns one scenario instead of the whole run; only
  // the test that applies is registered, so nothing is reported as skipped.
  if (only === undefined) it(`answers ${SCENARIOS * FRAMES_PER_SCENARIO} hostile frames, keeps serving an honest host, holds memory flat (seed ${SEED})`, async () => {
    console.log(`protocol fuzzer: seed ${SEED}, ${SCENARIOS} connections x ${FRAMES_PER_SCENARIO} frames`);
    let done = false;
    const honest = honestLoop(() => done);
    let next = 0;
    let warm = 0;
    const started = Date.now();
    const lane = async () => {
      while (next < SCENARIOS) {
        const i = next++;
        await runScenario(SEED, i);
        if (i === WARM_UP) warm = heapMb();
      }
    };
    try {
      await Promise.all(Array.from({ length: PARALLEL }, lane));
    } finally {
      done = true;
    }
    const { served, slowestMs } = await honest;
    const end = heapMb();
    console.log(`protocol fuzzer: ${((Date.now() - started) / 1000).toFixed(1)} s; honest host served ${served} times (slowest ${slowestMs} ms); heap ${warm.toFixed(1)} -> ${end.toFixed(1)} MiB`);
    expect(served).toBeGreaterThan(20);
    expect(slowestMs).toBeLessThan(5_000);
    expect(end - warm).toBeLessThan(32);
    // Nothing a hostile connection said is kept: no progress entries, no connections left behind.
    expect(coord.services.progress.size).toBe(0);
    await waitFor('closed connections to leave the registry', async () => coord.services.registry.size === 1, 5_000);
    for (const id of base.foreignLeases) {
      const { jobId, unit, replica } = parseLeaseId(id);
      const r = (await readUnitHash(coord.services.redis, coord.services.keys.prefix, jobId, unit)).replicas[replica];
      expect([r.host, r.state]).toEqual([holder.hostId, REPLICA_STATE.leased]);
    }
  }, 180_000);

  else it(`reruns scenario ${only} of seed ${SEED}`, async () => {
    await runScenario(SEED, Number(only));
  });

  it.each(REGRESSIONS)('regression: seed $seed scenario $index ($why)', async ({ seed, index }) => {
    const hosts = coord.services.registry.size;
    await runScenario(seed, index, () => expect(coord.services.progress.size, 'progress entries while the connection is open').toBe(0));
    // A leak shows only once the coordinator has finished the frames that were still in flight.
    await new Promise((r) => setTimeout(r, 500));
    // A leak is growth; connections of earlier tests may still be closing, so the count may drop.
    expect(coord.services.registry.size).toBeLessThanOrEqual(hosts);
    expect(coord.services.progress.size).toBe(0);
  });
});
