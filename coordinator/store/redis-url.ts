/**
 * The one parser of `--redis` / REDIS_URL. Two forms:
 *   redis://[user[:password]@]host[:port][/db]   (or rediss:// for TLS): one Redis server
 *   redis+sentinel://[user[:password]@]host[:port][,host[:port]...]/mastername[?sentinelPassword=...]
 *     a primary found through Redis Sentinel; ioredis asks the sentinels for the current primary and
 *     follows a promoted replica on failover. The user and password are the Redis servers'; sentinels
 *     that require their own password get it as `sentinelPassword`. A sentinel's port defaults to 26379.
 * Everything that connects to Redis (the coordinator's clients, BullMQ's, the launcher's ping) goes
 * through here, so a form is accepted everywhere or nowhere.
 */

export interface SentinelAddress {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'sentinel'; sentinels: SentinelAddress[]; name: string; username?: string; password?: string; sentinelPassword?: string };

export const SENTINEL_SCHEME = 'redis+sentinel:';
const DEFAULT_SENTINEL_PORT = 26379;
const FORMS = 'use redis://HOST[:PORT], rediss://HOST[:PORT] or redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTERNAME';

export class RedisUrlError extends Error {}

/**
 * Redis Cluster is not supported yet: the scripts change a job's and a host's keys together, which a
 * cluster refuses unless they sit in one slot (docs/scaling.md, "Sharding over Redis Cluster", is the
 * design). Said plainly here and at start (store/ready.ts), rather than as CROSSSLOT or MOVED errors later.
 */
export const CLUSTER_UNSUPPORTED = 'idlegrid does not run on Redis Cluster yet (docs/scaling.md, "Sharding over Redis Cluster", is the design, not built): ' +
  'give --redis one Redis server (redis://HOST[:PORT]) or a primary behind Sentinel (redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTERNAME)';

/** The target a URL names; throws RedisUrlError with what was wrong and the accepted forms. */
export function parseRedisUrl(url: string): RedisTarget {
  if (url.startsWith(`${SENTINEL_SCHEME}//`)) return parseSentinel(url);
  if (url.startsWith('redis+cluster:')) throw new RedisUrlError(`"${redactRedisUrl(url)}": ${CLUSTER_UNSUPPORTED}`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RedisUrlError(`"${redactRedisUrl(url)}" is not a URL; ${FORMS}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new RedisUrlError(`"${redactRedisUrl(url)}" has the scheme ${u.protocol.replace(/:$/, '')}; ${FORMS}`);
  if (!u.hostname) throw new RedisUrlError(`"${redactRedisUrl(url)}" names no host; ${FORMS}`);
  if (u.pathname.length > 1 && !/^\/\d{1,2}$/.test(u.pathname)) {
    throw new RedisUrlError(`"${redactRedisUrl(url)}": the path must be a database number (/0 to /15), not "${u.pathname}"`);
  }
  return { kind: 'server', url };
}

/** null when the URL is acceptable, else the message (for the options schema). */
export function redisUrlProblem(url: string): string | null {
  try {
    parseRedisUrl(url);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export const isSentinelUrl = (url: string): boolean => url.startsWith(`${SENTINEL_SCHEME}//`);

function parseSentinel(url: string): RedisTarget {
  const rest = url.slice(`${SENTINEL_SCHEME}//`.length);
  const [beforeQuery, query = ''] = splitOnce(rest, '?');
  const at = beforeQuery.lastIndexOf('@');
  const userinfo = at >= 0 ? beforeQuery.slice(0, at) : '';
  const [hostList, ...path] = (at >= 0 ? beforeQuery.slice(at + 1) : beforeQuery).split('/');
  const name = path.join('/');
  const shown = redactRedisUrl(url);
  if (!hostList) throw new RedisUrlError(`"${shown}" names no sentinel; write redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTERNAME`);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new RedisUrlError(`"${shown}" needs the master's name after the sentinels (letters, digits, . _ -), as in redis+sentinel://127.0.0.1:26379/mymaster; got "${name}"`);
  }
  const sentinels = hostList.split(',').map((h) => sentinelAddress(h, shown));
  const target: RedisTarget = { kind: 'sentinel', sentinels, name };
  if (userinfo) {
    const [user, pass] = splitOnce(userinfo, ':');
    if (user) target.username = decode(user, shown);
    if (pass !== undefined) target.password = decode(pass, shown);
  }
  for (const [k, v] of new URLSearchParams(query)) {
    if (k === 'sentinelPassword') target.sentinelPassword = v;
    else throw new RedisUrlError(`"${shown}": unknown parameter "${k}" (the only one is sentinelPassword)`);
  }
  return target;
}

function sentinelAddress(text: string, shown: string): SentinelAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(text);
  if (!m) throw new RedisUrlError(`"${shown}": "${text}" is not a sentinel address HOST:PORT`);
  const port = m[3] === undefined ? DEFAULT_SENTINEL_PORT : Number(m[3]);
  if (port < 1 || port > 65535) throw new RedisUrlError(`"${shown}": port ${m[3]} of sentinel "${text}" is outside 1-65535`);
  return { host: m[1] ?? m[2], port };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function decode(s: string, shown: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new RedisUrlError(`"${shown}": the user or password is not valid percent-encoding`);
  }
}

/** The URL with any password masked, for messages and logs. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@').replace(/(sentinelPassword=)[^&]*/, '$1***');
}
