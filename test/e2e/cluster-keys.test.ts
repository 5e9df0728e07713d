/**
 * Where idlegrid's keys land on a Redis Cluster (store/keys.ts): the deployment's state in the one slot
 * of its prefix, so every script stays atomic; recordings' chunks in the slot of their own blob, so
 * their bytes spread over the shards, and the wait for replicas follows them there. A real cluster on
 * loopback: three masters with a replica each.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_TEMPLATES, Keys, type KeyName } from '../../coordinator/store/keys.js';
import { connectStore } from '../../coordinator/store/redis.js';
import { RedisBlobs } from '../../coordinator/inputs/redis-blobs.js';
import type { StoreRedis } from '../../coordinator/store/scripts.js';
import { startRedisCluster, type RedisCluster } from '../helpers/cluster.js';
import { ask } from '../helpers/sentinel.js';
import { pino } from 'pino';
import { ReplicaAck } from '../../coordinator/store/replica-ack.js';
import { startTestCoordinator } from '../helpers/coordinator.js';
import { uniquePrefix } from '../helpers/redis.js';

let cluster: RedisCluster;
let redis: StoreRedis;
beforeAll(async () => {
  cluster = await startRedisCluster(3, 1);
  redis = connectStore(cluster.url);
}, 60_000);
afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

const slotOf = (key: string): Promise<number> => ask<number>(cluster.nodes[0].port, 'CLUSTER', 'KEYSLOT', key);
const masters = async (): Promise<number[]> => {
  const roles = await Promise.all(cluster.nodes.map(async (n) => [n.port, (await ask<string[]>(n.port, 'ROLE'))[0]] as const));
  return roles.filter(([, role]) => role === 'master').map(([port]) => port);
};
const waitsOn = async (port: number): Promise<number> => Number(/cmdstat_wait:calls=(\d+)/.exec(await ask<string>(port, 'INFO', 'commandstats'))?.[1] ?? 0);
const keysOnNode = async (port: number, pattern: string): Promise<string[]> => ask<string[]>(port, 'KEYS', pattern);

/** A key of every template, its parameters filled with fresh values. */
function sampleKeys(keys: Keys): Array<[KeyName, string]> {
  return (Object.keys(KEY_TEMPLATES) as KeyName[]).map((name) => {
    const vars = Object.fromEntries([...KEY_TEMPLATES[name].matchAll(/\{(\w+)\}/g)].map((m) => [m[1], randomBytes(4).toString('hex')]));
    return [name, (keys.key as (n: KeyName, v: Record<string, string>) => string)(name, vars)];
  });
}

describe('keys on a Redis Cluster', () => {
  it('puts every key of the deployment in its prefix\'s slot, and a blob\'s chunks in the blob\'s', async () => {
    const keys = new Keys('ig', true);
    const home = await slotOf('ig');
    const blobSlots = new Set<number>();
    for (const [name, key] of sampleKeys(keys)) {
      if (name === 'blob' || name === 'chunk' || name === 'blobAck') continue;
      expect(await slotOf(key), key).toBe(home);
    }
    for (let i = 0; i < 8; i++) {
      const blob = randomBytes(8).toString('hex');
      const slot = await slotOf(keys.key('blob', { blob }));
      for (const index of [0, 1, 999]) expect(await slotOf(keys.key('chunk', { blob, index }))).toBe(slot);
      expect(await slotOf(keys.key('blobAck', { blob }))).toBe(slot);
      blobSlots.add(slot);
    }
    expect(blobSlots.size).toBeGreaterThan(1);
    // One server keeps the names it always had.
    expect(new Keys('ig', false).key('chunk', { blob: 'b', index: 2 })).toBe('ig:blob:b:2');
    expect(keys.key('chunk', { blob: 'b', index: 2 })).toBe('ig:blob:{b}:2');
    expect(keys.key('job', { job: 'j' })).toBe('{ig}:job:j');
  });

  it('refuses a script that reaches outside the slot of the key it declares, even on the same node', async () => {
    // An untagged prefix spreads the store's keys over slots. One whose `leases` key is on the node of the
    // prefix itself, in another slot, is what a cluster lets a script without the shebang (declaredScript)
    // touch quietly; with it, the call is refused.
    const slots = await ask<Array<[number, number, [string, number]]>>(cluster.nodes[0].port, 'CLUSTER', 'SLOTS');
    const nodeOf = (slot: number) => slots.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
    let untagged = '';
    for (let i = 0; i < 200 && !untagged; i++) {
      const p = uniquePrefix('cku');
      const [a, b] = [await slotOf(p), await slotOf(`${p}:leases`)];
      if (a !== b && nodeOf(a) === nodeOf(b)) untagged = p;
    }
    expect(untagged).not.toBe('');
    await expect(redis.ig_sweep(untagged, Date.now(), 10)).rejects.toThrow(/Script attempted to access keys that do not hash to the same slot/);
    const tagged = new Keys(uniquePrefix('ckt'), true);
    await expect(redis.ig_sweep(tagged.prefix, Date.now(), 10)).resolves.toBe(0);
  });

  it('stores recordings across the shards, reads any slice back intact, and removes every chunk', async () => {
    const prefix = uniquePrefix('ck');
    const blobs = new RedisBlobs(redis, new Keys(prefix, true), 1024);
    const written = new Map<string, Buffer>();
    for (let i = 0; i < 12; i++) {
      const id = randomBytes(8).toString('hex');
      const bytes = randomBytes(2500 + i);
      const w = await blobs.open(id);
      await w.write(bytes.subarray(0, 700));
      await w.write(bytes.subarray(700));
      expect(await w.finish()).toEqual({ chunkSize: 1024 });
      written.set(id, bytes);
    }
    for (const [id, bytes] of written) {
      const parts: Buffer[] = [];
      for await (const b of blobs.read(id, { chunkSize: 1024 }, 1000, 1100)) parts.push(b);
      expect(Buffer.concat(parts).equals(bytes.subarray(1000, 2100)), id).toBe(true);
    }
    const perNode = await Promise.all((await masters()).map((port) => keysOnNode(port, `${prefix}:blob:*`)));
    expect(perNode.flat()).toHaveLength(12 * 4); // a hash and three chunks each
    expect(perNode.filter((k) => k.length > 0).length).toBeGreaterThan(1);
    for (const id of written.keys()) await blobs.remove(id);
    const left = await Promise.all(cluster.nodes.map((n) => keysOnNode(n.port, `${prefix}:*`)));
    expect(left.flat()).toEqual([]);
  });

  it('with --redis-wait-replicas, waits on the node of each blob it wrote, and only there', async () => {
    const prefix = uniquePrefix('ckw');
    const keys = new Keys(prefix, true);
    const acks = connectStore(`redis+cluster://127.0.0.1:${cluster.nodes[0].port}`);
    const ack = new ReplicaAck(acks, keys.key('ackMark'), 1, 10_000, pino({ level: 'silent' }));
    try {
      const blobs = new RedisBlobs(redis, keys, 1024, ack);
      const before = new Map(await Promise.all((await masters()).map(async (p) => [p, await waitsOn(p)] as const)));
      for (let i = 0; i < 9; i++) {
        const w = await blobs.open(randomBytes(8).toString('hex'));
        await w.write(randomBytes(1500));
        await w.finish();
      }
      expect(ack.shortWaits).toBe(0);
      for (const [port, n] of before) {
        const holds = (await keysOnNode(port, `${prefix}:blob:*`)).length > 0;
        expect(await waitsOn(port) > n, `master ${port} ${holds ? 'holds' : 'holds no'} blobs`).toBe(holds);
      }
    } finally {
      ack.close();
    }
  });

  it('a coordinator waits for one replica by default when the cluster has them', async () => {
    const coord = await startTestCoordinator({ redisUrl: `redis+cluster://127.0.0.1:${cluster.nodes[1].port}` });
    try {
      expect(coord.options).toMatchObject({ redisWaitReplicas: 1, redisWaitReplicasAuto: true });
      expect(coord.services.ack.enabled).toBe(true);
    } finally {
      await coord.stop();
    }
  });
});
