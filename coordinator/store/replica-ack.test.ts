/**
 * Replica acknowledgements against a real primary and replica: a write is confirmed once the replica
 * has it, a write that is not on the primary is reported missing (what a failover that lost it looks
 * like), concurrent callers share one WAIT, and a missing replica delays the answer by the timeout
 * but does not stop it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type LaunchedRedis } from '../../cli/redis-launcher.js';
import { freePort } from '../../test/helpers/ports.js';
import { waitFor } from '../../bench/lib/procs.js';
import { connectStore } from './redis.js';
import { ReplicaAck } from './replica-ack.js';

const dir = mkdtempSync(join(tmpdir(), 'ig-replica-ack-'));
let primary: LaunchedRedis;
let replica: LaunchedRedis;
let writer: Redis;
let replicaClient: Redis;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  primary = await startRedis({ port: await freePort(), dir: join(dir, 'p'), appendonly: false });
  replica = await startRedis({ port: await freePort(), dir: join(dir, 'r'), appendonly: false, replicaOf: { host: '127.0.0.1', port: primary.port } });
  writer = new Redis(primary.url);
  replicaClient = new Redis(replica.url);
  await waitFor('the replica in sync', async () => (await replicaClient.info('replication')).includes('master_link_status:up'));
});
afterAll(async () => {
  writer.disconnect();
  replicaClient.disconnect();
  await replica.stop();
  await primary.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ReplicaAck', () => {
  it('confirms a write once the replica holds it, and says which writes are not on the primary', async () => {
    const ack = new ReplicaAck(connectStore(primary.url), 'ack:mark1', 1, 5_000, log);
    try {
      await writer.set('ack:job1', 'x');
      await writer.hset('ack:unit1', 'o0', 'V');
      expect(await ack.confirm([{ key: 'ack:job1' }, { key: 'ack:unit1', field: 'o0' }, { key: 'ack:unit1', field: 'o1' }, { key: 'ack:nothing' }]))
        .toEqual([true, true, false, false]);
      // Confirmed means on the replica already, not soon.
      expect(await replicaClient.get('ack:job1')).toBe('x');
      expect(ack.shortWaits).toBe(0);
    } finally {
      ack.close();
    }
  });

  it('reports a write made on another server as missing (a primary that failed over before replicating it)', async () => {
    const elsewhere = await startRedis({ port: await freePort(), dir: join(dir, 'e'), appendonly: false });
    const other = new Redis(elsewhere.url);
    const ack = new ReplicaAck(connectStore(primary.url), 'ack:mark2', 1, 5_000, log);
    try {
      await other.set('ack:lost', 'x');
      expect(await ack.kept({ key: 'ack:lost' })).toBe(false);
    } finally {
      ack.close();
      other.disconnect();
      await elsewhere.stop();
    }
  });

  it('callers that arrive together share a wait', async () => {
    const ack = new ReplicaAck(connectStore(primary.url), 'ack:mark3', 1, 5_000, log);
    try {
      await Promise.all(Array.from({ length: 50 }, (_, i) => writer.set(`ack:many${i}`, i)));
      const kept = await Promise.all(Array.from({ length: 50 }, (_, i) => ack.kept({ key: `ack:many${i}` })));
      expect(kept.every(Boolean)).toBe(true);
      const waits = Number(await writer.get('ack:mark3'));
      expect(waits).toBeGreaterThanOrEqual(1);
      expect(waits).toBeLessThan(50);
    } finally {
      ack.close();
    }
  });

  it('answers after the timeout when no replica acknowledges, and counts it', async () => {
    const ack = new ReplicaAck(connectStore(primary.url), 'ack:mark4', 2, 100, log);
    try {
      await writer.set('ack:short', 'x');
      expect(await ack.kept({ key: 'ack:short' })).toBe(true);
      expect(ack.shortWaits).toBe(1);
    } finally {
      ack.close();
    }
  });

  it('does nothing without replicas to wait for', async () => {
    const ack = new ReplicaAck(null, 'ack:mark5', 0, 100, log);
    expect(ack.enabled).toBe(false);
    expect(await ack.confirm([{ key: 'ack:whatever' }])).toEqual([true]);
  });
});
