/**
 * The worker with real compute threads against a real coordinator and Redis, in this process, with an
 * injected idle source: it stops within a second of the user coming back, resumes when idle again, keeps
 * a buffer, gives a changed thread count effect at once, and says why no work comes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDemoJob } from '../workunits/keysearch/kind.js';
import { adminHeaders, startTestCoordinator, type TestCoordinator } from '../test/helpers/coordinator.js';
import { waitFor } from '../test/helpers/processes.js';
import type { Sensors } from './sensors/index.js';
import { startVolunteer, type Volunteer } from './volunteer.js';

const configDir = () => mkdtempSync(join(tmpdir(), 'ig-worker-'));

function idleSensors(): { idle: { s: number | null }; sensors: Sensors } {
  const idle = { s: 1e6 as number | null };
  return {
    idle,
    sensors: {
      idle: { name: 'test', idleSeconds: async () => idle.s },
      onBattery: async () => false,
      temperatureC: async () => null,
      otherCpu: () => 0,
      memoryBytes: () => process.memoryUsage.rss(),
      totalMemoryBytes: 2 ** 40,
      describe: () => ({ idle: 'test' }),
    },
  };
}

/** A keysearch job whose units take far longer than any test here: they never finish under our eyes. */
async function submitLongJob(coord: TestCoordinator, units = 6, replicas = 1): Promise<string> {
  const params = makeDemoJob(new Uint8Array(16).fill(units), { count: units * 2 ** 31, unitSize: 2 ** 31 });
  const res = await fetch(`${coord.url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...adminHeaders() },
    body: JSON.stringify({ kind: 'keysearch', params, policy: { minQuorum: replicas, targetResults: replicas } }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const volunteers: Volunteer[] = [];
let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => {
  await Promise.all(volunteers.map((v) => v.stop('test over')));
  await coord?.stop();
});

describe('worker with real threads', () => {
  it('stops computing within 1 s of the user coming back, and computes again once idle', async () => {
    await submitLongJob(coord);
    const { idle, sensors } = idleSensors();
    const v = await startVolunteer({ coordinator: coord.url, configDir: configDir(), sensors, control: false, flags: { threads: 2, idleOnly: true } });
    volunteers.push(v);
    await waitFor('both threads computing', async () => v.worker.computingThreads() === 2, 30_000);
    await waitFor('a unit in the buffer beyond the running ones', async () => v.worker.buffered >= 1, 10_000);

    idle.s = 0;
    const t0 = performance.now();
    await waitFor('every thread stopped', async () => v.worker.computingThreads() === 0, 5_000);
    const latencyMs = performance.now() - t0;
    expect(latencyMs).toBeLessThan(1000);
    expect(v.worker.state).toBe('paused: user active (computing starts after 3 min without input)');
    await waitFor('threads shown paused', async () => v.worker.units().every((u) => u.paused), 2_000);
    const before = v.worker.units().map((u) => u.fraction);
    await new Promise((r) => setTimeout(r, 600));
    expect(v.worker.units().map((u) => u.fraction)).toEqual(before);

    idle.s = 3 * 60;
    await waitFor('threads computing again', async () => v.worker.computingThreads() > 0, 3_000);
    expect(v.worker.state).toBe('running');
  });

  it('a smaller thread count takes effect at once: the extra unit checkpoints, waits, and resumes from its checkpoint', async () => {
    await submitLongJob(coord);
    const { sensors } = idleSensors();
    const v = await startVolunteer({ coordinator: coord.url, configDir: configDir(), sensors, control: false, flags: { threads: 2 } });
    volunteers.push(v);
    const logs: string[] = [];
    v.worker.on('log', (_l, m) => logs.push(m));
    await waitFor('two units running with progress', async () => v.worker.units().length === 2 && v.worker.units().every((u) => u.fraction > 0), 30_000);
    v.store.set({ threads: 1 });
    await waitFor('one unit left running', async () => v.worker.units().length === 1, 5_000);
    expect(v.worker.buffered).toBeGreaterThanOrEqual(1);
    v.store.set({ threads: 2 });
    await waitFor('the unit resumed from its checkpoint', async () => logs.find((l) => /^resumed .* from its checkpoint at \d/.test(l)), 10_000);
    const line = logs.find((l) => l.startsWith('resumed'))!;
    expect(Number(/\((\d+) ops already done\)/.exec(line)![1])).toBeGreaterThan(0);
  });
});

describe('worker says why no work comes', () => {
  const start = (url: string, extra: { account?: string } = {}) =>
    startVolunteer({ coordinator: url, configDir: configDir(), sensors: idleSensors().sensors, control: false, flags: { threads: 1, bufferUnits: 0 }, ...extra });

  it('while what is left needs a host of another account (replicas never share an account)', async () => {
    const own = await startTestCoordinator();
    try {
      const res = await fetch(`${own.url}/api/accounts`, { method: 'POST', headers: { 'content-type': 'application/json', ...adminHeaders() }, body: JSON.stringify({ name: 'one person' }) });
      const { key } = (await res.json()) as { key: string };
      await submitLongJob(own, 1, 2);
      const a = await start(own.url, { account: key });
      volunteers.push(a);
      await waitFor('one replica running on the first host', async () => a.worker.state === 'running', 30_000);
      const b = await start(own.url, { account: key });
      volunteers.push(b);
      await waitFor('the second host told why', async () => /^waiting for work: (?!connecting)/.test(b.worker.state), 10_000);
      expect(b.worker.state).toBe('waiting for work: the units left need a host other than this one (replicas of a unit never share a host or an account)');
    } finally {
      await own.stop();
    }
  });

  it('while every unit of a running job is out with another host', async () => {
    const own = await startTestCoordinator();
    try {
      await submitLongJob(own, 1);
      const a = await start(own.url);
      volunteers.push(a);
      await waitFor('the one unit running on the first host', async () => a.worker.state === 'running', 30_000);
      const b = await start(own.url);
      volunteers.push(b);
      await waitFor('the second host told why', async () => /^waiting for work: (?!connecting)/.test(b.worker.state), 10_000);
      expect(b.worker.state).toBe('waiting for work: every unit of the running jobs is out with other hosts or being validated');
    } finally {
      await own.stop();
    }
  });

  it('no jobs queued, and coordinator down', async () => {
    const empty = await startTestCoordinator();
    try {
      const v = await startVolunteer({ coordinator: empty.url, configDir: configDir(), sensors: idleSensors().sensors, control: false, flags: { threads: 1 } });
      volunteers.push(v);
      await waitFor('no-jobs state', async () => v.worker.state === 'waiting for work: no jobs are queued', 10_000);
    } finally {
      await empty.stop();
    }
    const down = await startVolunteer({ coordinator: 'http://127.0.0.1:9', configDir: configDir(), sensors: idleSensors().sensors, control: false, flags: { threads: 1 } });
    volunteers.push(down);
    await waitFor('coordinator-down state', async () => /^waiting for work: coordinator down \(cannot reach coordinator: .*\); retry in \d+ s$/.test(down.worker.state), 10_000);
  });
});
