/**
 * Hosts as the dashboard shows them: the most recently seen first, and one host in full. Only public
 * facts leave the store: never the secret hash, never the account key.
 */
import type { Redis } from 'ioredis';
import { ACTIVE_HOST_MS } from '../history.js';
import type { Keys } from '../store/keys.js';
import type { HostDetail, HostList, HostSummary } from '../../protocol/index.js';
import { recentAverageCredit } from './credit.js';

const num = (v: string | undefined): number => Number(v ?? 0) || 0;

function summary(h: Record<string, string>, accountName: string, now: number): HostSummary {
  const results = { valid: num(h.nValid), invalid: num(h.nInvalid), error: num(h.nError), timeout: num(h.nTimeout) };
  const all = results.valid + results.invalid + results.error + results.timeout;
  const lastSeen = num(h.lastSeen);
  return {
    id: h.id,
    name: h.name ?? '',
    account: accountName,
    threads: num(h.threads),
    lastSeen,
    active: now - lastSeen <= ACTIVE_HOST_MS,
    credit: num(h.credit),
    rac: recentAverageCredit(h.racE, h.racT, now),
    results,
    errorRate: all ? (all - results.valid) / all : null,
  };
}

async function accountNames(redis: Redis, keys: Keys, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids.filter(Boolean))];
  if (!unique.length) return new Map();
  const p = redis.pipeline();
  for (const account of unique) p.hget(keys.key('account', { account }), 'name');
  const out = (await p.exec()) ?? [];
  return new Map(unique.map((id, i) => [id, (out[i][1] as string | null) || id]));
}

export async function hostList(redis: Redis, keys: Keys, limit: number, now = Date.now()): Promise<HostList> {
  const [ids, total] = await Promise.all([redis.zrevrange(keys.key('hosts'), 0, limit - 1), redis.zcard(keys.key('hosts'))]);
  const p = redis.pipeline();
  for (const host of ids) p.hgetall(keys.key('host', { host }));
  const hashes = ((await p.exec()) ?? []).map(([, h]) => h as Record<string, string>).filter((h) => h.id);
  const names = await accountNames(redis, keys, hashes.map((h) => h.account ?? ''));
  return { total, hosts: hashes.map((h) => summary(h, names.get(h.account ?? '') ?? '', now)) };
}

const parseJson = (s: string | undefined): Record<string, unknown> => {
  try {
    const v: unknown = s ? JSON.parse(s) : {};
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
};

export async function hostDetail(redis: Redis, keys: Keys, id: string, now = Date.now()): Promise<HostDetail | null> {
  const [h, unitsHeld, days] = await Promise.all([
    redis.hgetall(keys.key('host', { host: id })),
    redis.scard(keys.key('hostLeases', { host: id })),
    redis.hgetall(keys.key('hostDaily', { host: id })),
  ]);
  if (!h.id) return null;
  const names = await accountNames(redis, keys, [h.account ?? '']);
  const trust: Record<string, number> = {};
  for (const [field, v] of Object.entries(h)) if (field.startsWith('cv:')) trust[field.slice(3)] = num(v);
  return {
    ...summary(h, names.get(h.account ?? '') ?? '', now),
    firstSeen: h.firstSeen ? num(h.firstSeen) : null,
    software: h.software ?? '',
    state: h.state ?? '',
    facts: parseJson(h.facts),
    kinds: h.kinds ? h.kinds.split(',').filter(Boolean) : [],
    trust,
    unitsHeld,
    daily: dailyRecord(days, now),
  };
}

/** Fields "<what>:<day number>" (lib.lua host_day) as one row per day, the last 30 days. */
function dailyRecord(fields: Record<string, string>, now: number): HostDetail['daily'] {
  const today = Math.floor(now / 86_400_000);
  const rows = new Map<number, HostDetail['daily'][number]>();
  const names = { c: 'credit', v: 'valid', i: 'invalid', e: 'errors' } as const;
  for (const [field, value] of Object.entries(fields)) {
    const [what, dayText] = field.split(':');
    const day = Number(dayText);
    const name = names[what as keyof typeof names];
    if (!name || !(day > today - 30)) continue;
    const row = rows.get(day) ?? { day: new Date(day * 86_400_000).toISOString().slice(0, 10), credit: 0, valid: 0, invalid: 0, errors: 0 };
    row[name] = num(value);
    rows.set(day, row);
  }
  return [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
}
