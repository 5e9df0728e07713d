/**
 * Validation service: reads a unit, decides with quorum.ts and the kind's compare function, applies the
 * decision with validate.lua. The Lua script refuses a decision made on a stale read (the unit's version
 * moved), in which case we read and decide again: two coordinators can never validate a unit twice.
 */
import type { Logger } from 'pino';
import { decide, type Replica, type UnitView } from './quorum.js';
import type { JobStore } from './job-store.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

/** 1 cobblestone = 1/200 day of a 1 GFLOPS machine. */
export const OPS_PER_COBBLESTONE = 4.32e11;

export class Validator {
  constructor(
    private readonly redis: StoreRedis,
    private readonly keys: Keys,
    private readonly jobs: JobStore,
    private readonly onSettled: (jobId: string) => void,
    private readonly log: Logger,
  ) {}

  async validateUnit(jobId: string, unit: number): Promise<void> {
    const meta = await this.jobs.meta(jobId);
    if (!meta) return;
    const { kind } = meta;
    const { spec, secret } = this.jobs.unitSpec(meta, unit);
    const judge = {
      acceptable: (result: unknown) => {
        const parsed = kind.result.safeParse(result);
        if (!parsed.success) return false;
        if (kind.check && !kind.check(spec, parsed.data)) return false;
        if (secret !== undefined && kind.ringersFound && !kind.ringersFound(spec, secret, parsed.data)) return false;
        return true;
      },
      agree: (a: unknown, b: unknown) => kind.compare(a, b, spec),
    };
    const uk = this.keys.key('unit', { job: jobId, unit });
    for (let attempt = 0; attempt < 8; attempt++) {
      const h = await this.redis.hgetall(uk);
      if (!h.v) {
        await this.redis.zrem(this.keys.key('validate'), `${jobId}.${unit}`);
        return;
      }
      const view = unitView(h);
      const d = decide(view, judge, meta.policy.maxSuccessResults);
      const now = Date.now();
      const credit = kind.ops(spec) / OPS_PER_COBBLESTONE;
      let args: Array<string | number>;
      switch (d.action) {
        case 'none':
          await this.redis.zrem(this.keys.key('validate'), `${jobId}.${unit}`);
          return;
        case 'valid': {
          const canonical = view.replicas.find((x) => x.r === d.canon)!.result;
          const decisive = !meta.exhaustive && kind.decisive?.(canonical) === true;
          const items = kind.items ? kind.items(spec) : 1;
          args = ['valid', d.canon, credit, items, kind.ops(spec), decisive ? '1' : '0', ...d.outcomes.flat()];
          break;
        }
        case 'late':
          args = ['late', credit, kind.ops(spec), ...d.outcomes.flat()];
          break;
        case 'more':
        case 'fail':
          args = [d.action, d.reason, credit, kind.ops(spec), ...d.outcomes.flat()];
          break;
      }
      const res = await this.redis.ig_validate(this.keys.prefix, jobId, unit, h.v, now, ...args);
      if (res === 'stale') continue;
      this.log.debug({ jobId, unit, action: d.action }, 'unit validated');
      if (res === 'settled') this.onSettled(jobId);
      return;
    }
    this.log.warn({ jobId, unit }, 'unit kept changing during validation; the transitioner will retry');
  }
}

function unitView(h: Record<string, string>): UnitView {
  const replicas: Replica[] = [];
  const n = Number(h.n ?? 0);
  for (let r = 0; r < n; r++) {
    const raw = h[`res${r}`];
    let result: unknown;
    if (h[`s${r}`] === 'R' && raw !== undefined) {
      try {
        result = JSON.parse(raw);
      } catch {
        result = undefined;
      }
    }
    replicas.push({ r, state: h[`s${r}`], result, outcome: h[`o${r}`] as Replica['outcome'] });
  }
  return {
    state: h.st as UnitView['state'],
    quorum: Number(h.q),
    canon: h.canon !== undefined ? Number(h.canon) : undefined,
    replicas,
  };
}
