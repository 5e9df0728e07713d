/**
 * A unit's hash as tests look at it, read through coordinator/store/unit-layout.ts so that tests spell no
 * field name or state letter of their own.
 */
import type { Redis } from 'ioredis';
import { keysOn } from './store-keys.js';
import { MARK, REPLICA, UNIT, replicaField } from '../../coordinator/store/unit-layout.js';

export interface ReplicaView {
  r: number;
  host: string;
  account: string;
  /** the host's network when leased ('' for loopback) */
  network: string;
  /** REPLICA_STATE letter */
  state: string;
  /** OUTCOME letter, once judged */
  outcome?: string;
  /** AUDIT letter, once the verifier looked at it */
  audit?: string;
  /** the stored result JSON (or an error's {code, message}) */
  raw?: string;
}

export interface UnitHashView {
  state: string;
  quorum: number;
  canon: number | null;
  /** the canonical result, parsed */
  canonical: unknown;
  replicas: ReplicaView[];
  raw: Record<string, string>;
}

export function viewUnitHash(h: Record<string, string>): UnitHashView {
  const n = Number(h[UNIT.replicas] ?? 0);
  const replicas = Array.from({ length: n }, (_, r) => ({
    r,
    host: h[replicaField('host', r)],
    account: h[replicaField('account', r)],
    network: h[replicaField('network', r)],
    state: h[replicaField('state', r)],
    outcome: h[replicaField('outcome', r)],
    audit: h[replicaField('audit', r)],
    raw: h[replicaField('result', r)],
  }));
  const canon = h[UNIT.canon] === undefined ? null : Number(h[UNIT.canon]);
  return {
    state: h[UNIT.state],
    quorum: Number(h[UNIT.quorum]),
    canon,
    canonical: canon === null ? undefined : JSON.parse(h[replicaField('result', canon)]),
    replicas,
    raw: h,
  };
}

export async function readUnitHash(redis: Redis, prefix: string, jobId: string, unit: number): Promise<UnitHashView> {
  return viewUnitHash(await redis.hgetall(keysOn(redis, prefix).key('unit', { job: jobId, unit })));
}

/** The field that records when a host handed a replica of the unit back (lease.lua's cool-down). */
export const handedBackField = (hostId: string): string => `${MARK.handedBack}${hostId}`;

export { REPLICA };
