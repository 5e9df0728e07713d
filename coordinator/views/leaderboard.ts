/**
 * Leaderboards of accounts, teams and hosts by total credit (the credit zsets) or by recent average
 * credit. RAC is not indexed (it decays continuously), so "recent" ranks the RECENT_POOL members with the
 * most total credit by their RAC: a newcomer enters once its total is in that pool. Results are cached
 * for a few seconds per coordinator, so many open dashboards cost one read.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../store/keys.js';
import type { Leaderboard, LeaderRow } from '../../protocol/index.js';
import { recentAverageCredit } from './credit.js';

export const RECENT_POOL = 10_000;
const CACHE_MS = 10_000;

type Level = 'accounts' | 'teams' | 'hosts';
const LEVELS: Record<Level, { zset: 'creditAccounts' | 'creditTeams' | 'creditHosts'; hash: (keys: Keys, id: string) => string }> = {
  accounts: { zset: 'creditAccounts', hash: (keys, account) => keys.key('account', { account }) },
  teams: { zset: 'creditTeams', hash: (keys, team) => keys.key('team', { team }) },
  hosts: { zset: 'creditHosts', hash: (keys, host) => keys.key('host', { host }) },
};

async function level(redis: Redis, keys: Keys, which: Level, by: Leaderboard['by'], limit: number, now: number): Promise<LeaderRow[]> {
  const { zset, hash } = LEVELS[which];
  const flat = await redis.zrevrange(keys.key(zset), 0, (by === 'total' ? limit : RECENT_POOL) - 1, 'WITHSCORES');
  const p = redis.pipeline();
  for (let i = 0; i < flat.length; i += 2) p.hmget(hash(keys, flat[i]), 'name', 'racE', 'racT');
  const fields = ((await p.exec()) ?? []).map(([, v]) => v as Array<string | null>);
  const rows = fields.map(([name, racE, racT], i) => ({
    id: flat[2 * i],
    name: name || flat[2 * i],
    credit: Number(flat[2 * i + 1]),
    rac: recentAverageCredit(racE, racT, now),
  }));
  if (by === 'recent') rows.sort((a, b) => b.rac - a.rac || b.credit - a.credit);
  return rows.slice(0, limit).map((r, i) => ({ rank: i + 1, ...r }));
}

export class LeaderboardReader {
  private readonly cache = new Map<string, { at: number; value: Promise<Leaderboard> }>();

  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  read(by: Leaderboard['by'], limit: number, now = Date.now()): Promise<Leaderboard> {
    const id = `${by}:${limit}`;
    const hit = this.cache.get(id);
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    const value = Promise.all((['accounts', 'teams', 'hosts'] as const).map((l) => level(this.redis, this.keys, l, by, limit, now)))
      .then(([accounts, teams, hosts]) => ({ by, accounts, teams, hosts }));
    // A failed read is not cached: the next request tries again.
    value.catch(() => this.cache.delete(id));
    this.cache.set(id, { at: now, value });
    return value;
  }
}
