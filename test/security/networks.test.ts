/**
 * Quorums that Sybils cannot fill from one network: replicas of a unit go to hosts of different networks
 * (IPv4 /24, IPv6 /48) as well as different hosts and accounts. The client addresses come through a
 * trusted proxy's X-Forwarded-For here (the only way a test on one machine has other networks); a
 * coordinator that trusts no proxy never reads the header, and loopback clients are exempt.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { REPLICA_STATE } from '../../coordinator/store/unit-layout.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import { api, keyJobParams } from './support.js';

const coords: TestCoordinator[] = [];
const workers: FakeWorker[] = [];
afterAll(async () => {
  for (const w of workers) w.close();
  await Promise.all(coords.map((c) => c.stop()));
});

async function oneUnitJob(c: TestCoordinator): Promise<string> {
  const { params } = keyJobParams({ count: 1024, unitSize: 1024, keyOffset: 3, start: BigInt(Date.now()) << 16n });
  const sub = await api(c.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params, policy: { minQuorum: 2, targetResults: 2, adaptive: false } } });
  expect(sub.status).toBe(201);
  return sub.body.id;
}

async function hostFrom(c: TestCoordinator, forwardedFor: string): Promise<FakeWorker> {
  const w = await FakeWorker.connect(c.wsUrl, { headers: { 'x-forwarded-for': forwardedFor } });
  workers.push(w);
  await w.hello();
  return w;
}

describe('replicas on distinct networks', () => {
  it('behind a trusted proxy: never two replicas of a unit in one IPv4 /24 or IPv6 /48; a hand-back lifts the mark', async () => {
    const c = await startTestCoordinator({ trustProxy: true });
    coords.push(c);
    for (const [first, sameNet, otherNet, net] of [
      ['198.51.100.7', '198.51.100.250', '198.51.101.7', '198.51.100.0/24'],
      ['2001:db8:7:1::5', '2001:db8:7:ffff::9', '2001:db8:8::5', '2001:db8:7::/48'],
    ]) {
      const job = await oneUnitJob(c);
      const [a, b, d] = [await hostFrom(c, first), await hostFrom(c, sameNet), await hostFrom(c, otherNet)];
      const got = await a.request(1);
      expect(got.type === 'work' && got.units[0].jobId).toBe(job);
      // Another host, another account (none), the same network: not this unit.
      expect(await b.request(1)).toMatchObject({ type: 'no_work', reason: 'needs_other_host' });
      // Handed back, the unit may go to that network again.
      if (got.type !== 'work') throw new Error('unreachable');
      a.send({ type: 'release', leaseIds: [got.units[0].leaseId], reason: 'test' });
      a.send({ type: 'heartbeat', seq: 1, sentAt: Date.now() });
      await a.next('heartbeat_ack');
      const retaken = await b.request(1);
      expect(retaken.type === 'work' && retaken.units[0].unit).toBe(0);
      expect(await d.request(1)).toMatchObject({ type: 'work' });
      const u = await readUnitHash(c.services.redis, c.services.keys.prefix, job, 0);
      const live = u.replicas.filter((r) => r.state !== REPLICA_STATE.released);
      expect(live.map((r) => r.host)).toEqual([b.hostId, d.hostId]);
      expect(live[0].network).toBe(net);
      expect(live[1].network).not.toBe(net);
      await api(c.url, 'DELETE', `/api/jobs/${job}`, { token: adminToken() });
    }
  });

  it('without a trusted proxy the header is ignored: loopback clients are exempt whatever they claim', async () => {
    const c = await startTestCoordinator();
    coords.push(c);
    const job = await oneUnitJob(c);
    const a = await hostFrom(c, '198.51.100.7');
    const b = await hostFrom(c, '198.51.100.7');
    expect(await a.request(1)).toMatchObject({ type: 'work' });
    expect(await b.request(1)).toMatchObject({ type: 'work' });
    const u = await readUnitHash(c.services.redis, c.services.keys.prefix, job, 0);
    expect(u.replicas.map((r) => r.network)).toEqual(['', '']);
  });
});
