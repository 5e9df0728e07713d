/**
 * The one parser of `--redis` / REDIS_URL. Three forms:
 *   redis://[user[:password]@]host[:port][/db]   (or rediss:// for TLS): one Redis server
 *   redis+sentinel://[user[:password]@]host[:port][,host[:port]...]/mastername[?sentinelPassword=...]
 *     a primary found through Redis Sentinel; ioredis asks the sentinels for the current primary and
 *     follows a promoted replica on failover. The user and password are the Redis servers'; sentinels
 *     that require their own password get it as `sentinelPassword`. A sentinel's port defaults to 26379.
 *   redis+cluster://[user[:password]@]host[:port][,host[:port]...]
 *     a Redis Cluster; the nodes listed are where ioredis starts, and it learns the rest of the cluster
 *     from them. The user and password are the cluster nodes'. A node's port defaults to 6379.
 * Everything that connects to Redis (the coordinator's clients, BullMQ's, the launcher's ping) goes
 * through here, so a form is accepted everywhere or nowhere.
 */

export interface NodeAddress {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'sentinel'; sentinels: NodeAddress[]; name: string; username?: string; password?: string; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: NodeAddress[]; username?: string; password?: string };

export const SENTINEL_SCHEME = 'redis+sentinel:';
const DEFAULT_SENTINEL_PORT = 26379;
export const CLUSTER_SCHEME = 'redis+cluster:';
const DEFAULT_PORT = 6379;
const FORMS = 'use redis://HOST[:PORT], rediss://HOST[:PORT], redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTERNAME or redis+cluster://HOST:PORT[,HOST:PORT...]';

export class RedisUrlError extends Error {}

/** The target a URL names; throws RedisUrlError with what was wrong and the accepted forms. */
export function parseRedisUrl(url: string): RedisTarget {
  if (url.startsWith(`${SENTINEL_SCHEME}//`)) return parseSentinel(url);
  if (url.startsWith(`${CLUSTER_SCHEME}//`)) return parseCluster(url);
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
export const isClusterUrl = (url: string): boolean => url.startsWith(`${CLUSTER_SCHEME}//`);

/** The parts both multi-host forms share: SCHEME//[user[:password]@]host[:port],...[/path][?query]. */
interface HostList {
  hosts: string;
  path: string;
  query: string;
  username?: string;
  password?: string;
  shown: string;
}

function splitHostList(url: string, scheme: string): HostList {
  const rest = url.slice(`${scheme}//`.length);
  const [beforeQuery, query = ''] = splitOnce(rest, '?');
  const at = beforeQuery.lastIndexOf('@');
  const userinfo = at >= 0 ? beforeQuery.slice(0, at) : '';
  const [hosts, ...path] = (at >= 0 ? beforeQuery.slice(at + 1) : beforeQuery).split('/');
  const shown = redactRedisUrl(url);
  const out: HostList = { hosts, path: path.join('/'), query, shown };
  if (userinfo) {
    const [user, pass] = splitOnce(userinfo, ':');
    if (user) out.username = decode(user, shown);
    if (pass !== undefined) out.password = decode(pass, shown);
  }
  return out;
}

function parseSentinel(url: string): RedisTarget {
  const { hosts, path: name, query, username, password, shown } = splitHostList(url, SENTINEL_SCHEME);
  if (!hosts) throw new RedisUrlError(`"${shown}" names no sentinel; write redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTERNAME`);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new RedisUrlError(`"${shown}" needs the master's name after the sentinels (letters, digits, . _ -), as in redis+sentinel://127.0.0.1:26379/mymaster; got "${name}"`);
  }
  const sentinels = hosts.split(',').map((h) => nodeAddress(h, 'sentinel', DEFAULT_SENTINEL_PORT, shown));
  const target: RedisTarget = { kind: 'sentinel', sentinels, name, ...credentials(username, password) };
  for (const [k, v] of new URLSearchParams(query)) {
    if (k === 'sentinelPassword') target.sentinelPassword = v;
    else throw new RedisUrlError(`"${shown}": unknown parameter "${k}" (the only one is sentinelPassword)`);
  }
  return target;
}

function parseCluster(url: string): RedisTarget {
  const { hosts, path, query, username, password, shown } = splitHostList(url, CLUSTER_SCHEME);
  if (!hosts) throw new RedisUrlError(`"${shown}" names no cluster node; write redis+cluster://HOST:PORT[,HOST:PORT...]`);
  // A cluster has one keyspace: a database number (or a sentinel-style name) would be silently meaningless.
  if (path) throw new RedisUrlError(`"${shown}": a Redis Cluster has no databases or names, so nothing may follow the nodes (got "/${path}")`);
  if (query) throw new RedisUrlError(`"${shown}": redis+cluster:// takes no parameters (got "?${query}")`);
  const nodes = hosts.split(',').map((h) => nodeAddress(h, 'cluster node', DEFAULT_PORT, shown));
  return { kind: 'cluster', nodes, ...credentials(username, password) };
}

function credentials(username?: string, password?: string): { username?: string; password?: string } {
  return { ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

function nodeAddress(text: string, what: string, defaultPort: number, shown: string): NodeAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(text);
  if (!m) throw new RedisUrlError(`"${shown}": "${text}" is not a ${what} address HOST:PORT`);
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port < 1 || port > 65535) throw new RedisUrlError(`"${shown}": port ${m[3]} of ${what} "${text}" is outside 1-65535`);
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
