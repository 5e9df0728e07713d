/**
 * The Lua scripts that make every multi-key state change atomic. Each script in lua/ documents its
 * ARGV, the keys it touches and what it returns; every one is called with the key prefix as its one
 * declared key. They are assembled as: the shebang (declaredScript) + generated key prelude + lib.lua +
 * the script, and registered on the ioredis client (EVALSHA with automatic reload after a Redis restart).
 */
import { readFileSync } from 'node:fs';
import type { Redis, ChainableCommander } from 'ioredis';
import { luaKeyPrelude } from './keys.js';
import { luaLayoutPrelude } from './unit-layout.js';

export const SCRIPT_NAMES = [
  'createJob', 'lease', 'report', 'validate', 'auditResult', 'reopen', 'sweep', 'release', 'closeJob', 'historyAdd',
  'hostOffline', 'releaseSilent', 'expireHosts', 'claimAudits',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const FILES: Record<ScriptName, string> = {
  createJob: 'create-job.lua',
  lease: 'lease.lua',
  report: 'report.lua',
  validate: 'validate.lua',
  auditResult: 'audit-result.lua',
  reopen: 'reopen.lua',
  sweep: 'sweep.lua',
  release: 'release.lua',
  closeJob: 'close-job.lua',
  historyAdd: 'history-add.lua',
  hostOffline: 'host-offline.lua',
  releaseSilent: 'release-silent.lua',
  expireHosts: 'expire-hosts.lua',
  claimAudits: 'claim-audits.lua',
};

/**
 * A script as Redis 7 should run it: the `#!lua` shebang (no flags) makes Redis check, before the script
 * runs, that it may write (a server over maxmemory refuses it whole rather than at its first write), and
 * makes a Redis Cluster refuse any key the script touches outside the slot of its declared keys
 * ("Script attempted to access keys that do not hash to the same slot"). Without it a cluster refuses
 * only keys of other nodes, and a key that lost its hash tag but landed on the same node would be written
 * quietly where no other script looks. Redis before 7.0 cannot load such a script: store/ready.ts
 * refuses it at start.
 */
export function declaredScript(lua: string): string {
  return `#!lua\n${lua}`;
}

let cache: Record<ScriptName, string> | undefined;

/** Full source of each script; read once per process. */
export function scriptSources(): Record<ScriptName, string> {
  if (cache) return cache;
  const dir = new URL('./lua/', import.meta.url);
  const lib = readFileSync(new URL('lib.lua', dir), 'utf8');
  const prelude = `${luaKeyPrelude()}\n${luaLayoutPrelude()}`;
  const out = {} as Record<ScriptName, string>;
  for (const name of SCRIPT_NAMES) out[name] = declaredScript(`${prelude}\n${lib}\n${readFileSync(new URL(FILES[name], dir), 'utf8')}`);
  cache = out;
  return out;
}

type Arg = string | number;
export type ScriptFn = (...args: Arg[]) => Promise<unknown>;
export type StoreRedis = Redis & Record<`ig_${ScriptName}`, ScriptFn>;
export type StorePipeline = ChainableCommander & Record<`ig_${ScriptName}`, (...args: Arg[]) => StorePipeline>;

export function registerScripts(redis: Redis): StoreRedis {
  const sources = scriptSources();
  for (const name of SCRIPT_NAMES) {
    // The one declared key is the prefix: on a cluster it routes the call to the node that holds the
    // deployment's slot (Keys.forStore); every key the script builds is under the same tagged prefix.
    if (!(`ig_${name}` in redis)) redis.defineCommand(`ig_${name}`, { numberOfKeys: 1, lua: sources[name] });
  }
  return redis as StoreRedis;
}
