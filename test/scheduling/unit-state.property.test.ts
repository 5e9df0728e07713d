/**
 * Property tests of the unit state machine against the real Lua scripts on a real Redis: random
 * interleavings of leases (one host's, or every host's at once, sharing lease.lua calls), honest and
 * wrong results, errors, hand-backs, deadline sweeps and hosts going silent, then honest hosts finish
 * the job. Whatever happened, no unit is valid without a quorum, no unit
 * has two live replicas on one host, account or network, credit is granted once per valid result, and
 * every unit ends valid or failed.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPS_PER_COBBLESTONE } from '../../coordinator/validator.js';
import { OPS_PER_KEY, auditBlocks } from '../../workunits/keysearch/params.js';
import { parseLeaseId } from '../../protocol/index.js';
import { startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { viewUnitHash } from '../helpers/unit-hash.js';
import { OUTCOME, REPLICA_STATE, UNIT_STATE } from '../../coordinator/store/unit-layout.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator({ sweepMs: 60_000 });
});
afterAll(async () => coord?.stop());

const UNIT_KEYS = 16;
const HOSTS = ['hA0', 'hA1', 'hB', 'hC'].map((h) => `${h}-prop-host`);
const ACCOUNT: Record<string, string> = { [HOSTS[0]]: 'acctA', [HOSTS[1]]: 'acctA' };
const FRESH = ['hD', 'hE', 'hF', 'hG'].map((h) => `${h}-prop-host`);
// Networks as network.ts names them: hA0 and hB share a /24 (two people behind one NAT, or one Sybil with
// two accounts), hC is on loopback (exempt), the newcomers each have their own.
const NETWORK: Record<string, string> = {
  [HOSTS[0]]: '198.51.100.0/24', [HOSTS[1]]: '2001:db8:1::/48', [HOSTS[2]]: '198.51.100.0/24', [HOSTS[3]]: '',
  ...Object.fromEntries(FRESH.map((h, i) => [h, `203.0.${113 + i}.0/24`])),
};

type Op =
  | { t: 'lease'; host: number; count: number }
  | { t: 'leaseAll'; count: number }
  | { t: 'report'; host: number; pick: number; honest: boolean }
  | { t: 'error'; host: number; pick: number }
  | { t: 'release'; host: number; pick: number }
  | { t: 'silent'; host: number }
  | { t: 'sweep' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('lease' as const), host: fc.nat(3), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('leaseAll' as const), count: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('report' as const), host: fc.nat(3), pick: fc.nat(5), honest: fc.boolean() }),
  fc.record({ t: fc.constant('error' as const), host: fc.nat(3), pick: fc.nat(5) }),
  fc.record({ t: fc.constant('release' as const), host: fc.nat(3), pick: fc.nat(5) }),
  fc.record({ t: fc.constant('silent' as const), host: fc.nat(3) }),
  fc.constant({ t: 'sweep' as const }),
);

// Stand-ins for computed results (the state machine is under test, not the kernel): well formed, their
// blocks adding up to their digest, and with audits off in the policy below.
const blocksOf = (digest: string) => [digest, ...Array.from({ length: auditBlocks(UNIT_KEYS) - 1 }, () => '0'.repeat(16))];
const honest = (unit: number) => {
  const digest = unit.toString(16).padStart(16, '0');
  return { found: [], keys: UNIT_KEYS, digest, blocks: blocksOf(digest) };
};
const wrong = { found: [], keys: UNIT_KEYS, digest: 'ffffffffffffffff', blocks: blocksOf('ffffffffffffffff') };

describe('unit state machine (real Lua, real Redis)', () => {
  it('keeps its invariants under any interleaving', async () => {
    const svc = coord.services;
    const p = svc.keys.prefix;
    const credits = async () => {
      await svc.credit.flush();
      let sum = 0;
      for (const host of [...HOSTS, ...FRESH]) sum += Number((await svc.redis.hget(svc.keys.key('host', { host }), 'credit')) ?? 0);
      return sum;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 1 }),
        fc.array(op, { maxLength: 40 }),
        async (units, minQuorum, extra, ops) => {
          const doc = await svc.jobs.submit({
            kind: 'keysearch',
            params: { algorithm: 'rc5-32/12/9', iv: '0000000000000000', plaintext: '0000000000000000', ciphertext: '0000000000000000', start: '000000000000000000', count: units * UNIT_KEYS, unitSize: UNIT_KEYS },
            policy: { minQuorum, targetResults: minQuorum + extra, maxTotalResults: 10, adaptive: false, audit: 0, probation: 0, ringers: 0, decoys: 0 },
          }, null);
          const id = doc.id;
          const before = await credits();
          const held = new Map<string, string[]>();
          const lied = new Set<number>();
          const lease = async (host: string, count: number) => {
            const { units: got } = await svc.dispatcher.lease({ hostId: host, accountId: ACCOUNT[host] ?? '', kinds: ['keysearch'], count, network: NETWORK[host], threads: 4 });
            const mine = got.filter((u) => u.jobId === id).map((u) => u.leaseId);
            held.set(host, [...(held.get(host) ?? []), ...mine]);
          };
          const take = (host: string, pick: number) => {
            const list = held.get(host) ?? [];
            return list.length ? list.splice(pick % list.length, 1)[0] : undefined;
          };
          const report = async (host: string, lid: string, what: 'R' | 'E', payload: string) => {
            const { unit, replica } = parseLeaseId(lid);
            const [status] = (await svc.redis.ig_report(p, Date.now(), 1, host, id, unit, replica, what, payload, 0)) as string[];
            if (status === 'check') await svc.validator.validateUnit(id, unit);
          };
          for (const o of ops) {
            const host = HOSTS[(o as { host?: number }).host ?? 0];
            if (o.t === 'lease') await lease(host, o.count);
            // Every host asks at once: the dispatcher serves the requests that wait behind its first
            // calls together, in one lease.lua call.
            else if (o.t === 'leaseAll') await Promise.all(HOSTS.map((h) => lease(h, o.count)));
            else if (o.t === 'sweep') await svc.redis.ig_sweep(p, Date.now() + 1e12, 1000);
            else if (o.t === 'silent') {
              // The host stops answering: its time in hosts:live passes and the transitioner's step hands
              // its replicas back (a result it sends later is refused).
              await svc.redis.zadd(svc.keys.key('hostsLive'), 0, host);
              await svc.redis.ig_releaseSilent(p, Date.now(), 1000);
              held.set(host, []);
            }
            else {
              const lid = take(host, o.pick);
              if (!lid) continue;
              const u = parseLeaseId(lid).unit;
              if (o.t === 'report' && !o.honest) lied.add(u);
              if (o.t === 'report') await report(host, lid, 'R', JSON.stringify(o.honest ? honest(u) : wrong));
              else if (o.t === 'error') await report(host, lid, 'E', 'UNIT_ERROR: test');
              else await svc.redis.ig_release(p, host, lid);
            }
          }
          // Honest hosts (old ones and newcomers) finish whatever is left.
          for (let round = 0; round < 30; round++) {
            const state = await svc.redis.hget(svc.keys.key('job', { job: id }), 'state');
            const settled = await svc.redis.sismember(svc.keys.key('settled'), id);
            if (state !== 'queued' && state !== 'running') break;
            if (settled) break;
            for (const h of [...HOSTS, ...FRESH]) {
              await lease(h, 4);
              let lid: string | undefined;
              while ((lid = take(h, 0))) await report(h, lid, 'R', JSON.stringify(honest(parseLeaseId(lid).unit)));
            }
          }

          let validResults = 0;
          for (let u = 0; u < units; u++) {
            const h = viewUnitHash(await svc.redis.hgetall(svc.keys.key('unit', { job: id, unit: u })));
            expect([UNIT_STATE.valid, UNIT_STATE.failed]).toContain(h.state);
            // A replica handed back produced nothing, and its host may get the unit again later;
            // every replica that could produce a result sits on its own host, account and network.
            const live = h.replicas.filter((x) => x.state !== REPLICA_STATE.released);
            const hosts = live.map((x) => x.host);
            expect(new Set(hosts).size).toBe(hosts.length);
            const accts = hosts.map((x) => ACCOUNT[x]).filter(Boolean);
            expect(new Set(accts).size).toBe(accts.length);
            const nets = live.map((x) => x.network);
            expect(nets).toEqual(hosts.map((x) => NETWORK[x]));
            const real = nets.filter(Boolean);
            expect(new Set(real).size).toBe(real.length);
            const valid = h.replicas.filter((x) => x.outcome === OUTCOME.valid);
            validResults += valid.length;
            if (h.state === UNIT_STATE.valid) {
              expect(valid.length).toBeGreaterThanOrEqual(Math.floor(h.quorum / 2) + 1);
              for (const x of valid) expect(x.raw).toBe(h.replicas[h.canon!].raw);
              // Identical wrong results can outvote (that is what collusion is); without them the answer is honest.
              if (!lied.has(u)) expect(h.canonical).toEqual(honest(u));
            } else {
              expect(valid).toEqual([]);
            }
          }
          const after = await credits();
          expect(after - before).toBeCloseTo((validResults * UNIT_KEYS * OPS_PER_KEY) / OPS_PER_COBBLESTONE, 12);
        },
      ),
      { numRuns: 200 },
    );
  });
});
