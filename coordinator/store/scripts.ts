/**
 * The Lua scripts that make every multi-key state change atomic. Each script in lua/ documents its
 * ARGV, the keys it touches and what it returns; every one is called with the key prefix as its one
 * declared key. They are assembled as: the shebang (declaredScript) + what the script uses of the generated
 * key prelude and lib.lua + the script, and registered on the ioredis client (EVALSHA with automatic
 * reload after a Redis restart).
 */
import { readFileSync } from 'node:fs';
import type { Redis, ChainableCommander } from 'ioredis';
import { luaKeyPrelude } from './keys.js';
import { luaLayoutPrelude } from './unit-layout.js';

export const SCRIPT_NAMES = [
  'createJob', 'lease', 'report', 'validate', 'auditResult', 'reopen', 'sweep', 'release', 'closeJob', 'historyAdd',
  'hostOffline', 'releaseSilent', 'expireHosts', 'claimAudits', 'applyCredit',
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
  applyCredit: 'apply-credit.lua',
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

interface Definition {
  name: string;
  text: string;
}

/**
 * The top-level definitions of the prelude and lib.lua (`local NAME = ...`, `local function name(...)`
 * up to the next one), with the comments before each, in order.
 */
function definitions(text: string): Definition[] {
  const out: Definition[] = [];
  let pending: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^local (?:function )?(\w+)/.exec(line);
    if (m) {
      out.push({ name: m[1], text: [...pending, line].join('\n') });
      pending = [];
    } else if (out.length && !/^\s*(--.*)?$/.test(line)) {
      out[out.length - 1].text += `\n${[...pending, line].join('\n')}`;
      pending = [];
    } else {
      pending.push(line);
    }
  }
  return out;
}

/**
 * The definitions `body` uses, directly or through other definitions, in their order. Redis runs a
 * script's whole text on every call, and defining all ~150 names of the prelude and lib.lua took about
 * 23 µs of Redis time per call on the benchmark machine (docs/scaling.md, Cheaper before sharding, item
 * 11), more than many of the scripts' own work; a name only mentioned (in a comment, say) is defined for
 * nothing, which is harmless.
 */
function used(defs: Definition[], body: string): string {
  const words = new Set(body.match(/[A-Za-z_]\w*/g) ?? []);
  const keep = new Set<Definition>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const d of defs) {
      if (keep.has(d) || !words.has(d.name)) continue;
      keep.add(d);
      for (const w of d.text.match(/[A-Za-z_]\w*/g) ?? []) words.add(w);
      grew = true;
    }
  }
  return defs.filter((d) => keep.has(d)).map((d) => d.text).join('\n');
}

/** Source of each script with the definitions it uses; read once per process. */
export function scriptSources(): Record<ScriptName, string> {
  if (cache) return cache;
  const dir = new URL('./lua/', import.meta.url);
  const defs = definitions(`${luaKeyPrelude()}\n${luaLayoutPrelude()}\n${readFileSync(new URL('lib.lua', dir), 'utf8')}`);
  const out = {} as Record<ScriptName, string>;
  for (const name of SCRIPT_NAMES) {
    const body = readFileSync(new URL(FILES[name], dir), 'utf8');
    out[name] = declaredScript(`${used(defs, body)}\n${body}`);
  }
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
