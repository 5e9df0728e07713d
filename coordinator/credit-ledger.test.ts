/**
 * The credit ledger (credit-ledger.ts, apply-credit.lua) against a real Redis, with two ledgers standing
 * for two coordinators on one store: every grant queued is added exactly once however many add at once;
 * applied() resolves only once what was queued before it is in the totals; grants queued by several
 * validations while one waits share a call; the totals, decayed credit included, are what adding each
 * grant at its own time would give. Grants are queued as validate.lua queues them (keys.ts, creditPending).
 */
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { CreditLedger } from './credit-ledger.js';
import { Keys } from './store/keys.js';
import { connectStore } from './store/redis.js';
import { registerScripts } from './store/scripts.js';
import { SHARED } from './store/unit-layout.js';
import { redisUrl, uniquePrefix } from '../test/helpers/redis.js';

const redis = registerScripts(connectStore(redisUrl()));
const log = pino({ level: 'silent' });
afterAll(() => redis.disconnect());

interface Grant {
  host: string;
  account: string;
  credit: number;
  valid: number;
  at: number;
}
const queue = (keys: Keys, grants: Grant[]) =>
  redis.rpush(keys.key('creditPending'), ...grants.map((g) => [g.host, g.account, g.credit.toPrecision(17), g.valid, g.at].join('\t')));

const num = async (key: string, field: string) => Number((await redis.hget(key, field)) ?? 0);

describe('CreditLedger', () => {
  it('adds every grant once, to host, account, team, leaderboards, daily record and grid, with two coordinators adding at once', async () => {
    const keys = new Keys(uniquePrefix('credit'));
    await redis.hset(keys.key('account', { account: 'a0' }), 'team', 'engines');
    const day = Date.UTC(2026, 11, 7);
    const grants: Grant[] = Array.from({ length: 3000 }, (_, i) => ({
      host: `h${i % 7}`, account: i % 3 === 0 ? '' : `a${i % 2}`, credit: (i % 11) * 1e-9 + 2.5e-8, valid: 1 + (i % 3), at: day + 1000 * i,
    }));
    // Queued in ten validations' worth, while both coordinators are adding.
    const [a, b] = [new CreditLedger(redis, keys, log, 0), new CreditLedger(redis, keys, log, 0)];
    const adding: Array<Promise<void>> = [];
    for (let i = 0; i < 10; i++) {
      await queue(keys, grants.slice(i * 300, (i + 1) * 300));
      adding.push(a.flush(), b.flush());
    }
    await Promise.all(adding);
    await a.flush();
    expect(await redis.llen(keys.key('creditPending'))).toBe(0);
    expect(a.added + b.added).toBe(grants.length);

    const sum = (pick: (g: Grant) => boolean) => grants.filter(pick).reduce((s, g) => s + g.credit, 0);
    for (let h = 0; h < 7; h++) {
      const host = `h${h}`;
      expect(await num(keys.key('host', { host }), 'credit')).toBeCloseTo(sum((g) => g.host === host), 15);
      expect(Number(await redis.zscore(keys.key('creditHosts'), host))).toBeCloseTo(sum((g) => g.host === host), 15);
      const daily = await redis.hgetall(keys.key('hostDaily', { host }));
      const mine = grants.filter((g) => g.host === host);
      expect(Number(daily[`v:${Math.floor(day / 86_400_000)}`])).toBe(mine.reduce((s, g) => s + g.valid, 0));
      expect(Number(daily[`c:${Math.floor(day / 86_400_000)}`])).toBeCloseTo(sum((g) => g.host === host), 15);
    }
    expect(await num(keys.key('account', { account: 'a0' }), 'credit')).toBeCloseTo(sum((g) => g.account === 'a0'), 15);
    expect(await num(keys.key('account', { account: 'a1' }), 'credit')).toBeCloseTo(sum((g) => g.account === 'a1'), 15);
    expect(Number(await redis.zscore(keys.key('creditAccounts'), 'a1'))).toBeCloseTo(sum((g) => g.account === 'a1'), 15);
    expect(await num(keys.key('team', { team: 'engines' }), 'credit')).toBeCloseTo(sum((g) => g.account === 'a0'), 15);
    expect(Number(await redis.zscore(keys.key('creditTeams'), 'engines'))).toBeCloseTo(sum((g) => g.account === 'a0'), 15);
    expect(await num(keys.key('stats'), 'credit')).toBeCloseTo(sum(() => true), 14);
  });

  it('decays each grant from its own time, as adding it then would', async () => {
    const keys = new Keys(uniquePrefix('credit'));
    const t0 = Date.now() - 3 * 86_400_000;
    // Granted three days apart and added together: the first has decayed by the time of the second.
    await queue(keys, [{ host: 'h', account: 'a', credit: 10, valid: 1, at: t0 }, { host: 'h', account: 'a', credit: 4, valid: 1, at: t0 + 86_400_000 }]);
    await new CreditLedger(redis, keys, log, 0).flush();
    const expected = 10 * 2 ** (-86_400_000 / SHARED.CREDIT_HALF_LIFE_MS) + 4;
    for (const key of [keys.key('host', { host: 'h' }), keys.key('account', { account: 'a' })]) {
      expect(await num(key, 'racE')).toBeCloseTo(expected, 9);
      expect(await num(key, 'racT')).toBe(t0 + 86_400_000);
      expect(await num(key, 'credit')).toBe(14);
    }
  });

  it('answers applied() once what was queued before it is added, and gathers what comes meanwhile into one call', async () => {
    const keys = new Keys(uniquePrefix('credit'));
    const ledger = new CreditLedger(redis, keys, log, 50);
    const host = keys.key('host', { host: 'h' });
    const waits: Array<Promise<void>> = [];
    // Five validations, each queueing its grant and asking to hear when it is in: one call adds all five.
    for (let i = 0; i < 5; i++) {
      await queue(keys, [{ host: 'h', account: '', credit: 1, valid: 1, at: Date.now() }]);
      waits.push(ledger.applied().then(async () => expect(await num(host, 'credit')).toBeGreaterThanOrEqual(i + 1)));
    }
    await Promise.all(waits);
    expect(await num(host, 'credit')).toBe(5);
    expect(ledger.calls).toBe(1);
    // More than one call's worth: applied() waits for all of it, and leaves none queued before it.
    await queue(keys, Array.from({ length: 2500 }, () => ({ host: 'h', account: '', credit: 1, valid: 1, at: Date.now() })));
    await ledger.applied();
    expect(await num(host, 'credit')).toBe(2505);
    expect(await ledger.pending()).toBe(0);
    expect(ledger.calls).toBe(4);
    ledger.close();
  });
});
