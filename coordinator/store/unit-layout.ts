/**
 * The layout of a unit's hash (`job:{job}:u:{unit}`) and the constants that TypeScript and Lua share,
 * named here and nowhere else. Like the keys (keys.ts), they are generated into the Lua prelude
 * (`luaLayoutPrelude`), so a field name, a state letter or a constant cannot mean one thing in a script
 * and another in the coordinator. docs/architecture.md describes each field.
 */
import { ERRORS } from '../../protocol/index.js';
import { KINDS, type InputRef } from '../../workunits/index.js';

/** Fields of the unit as a whole. */
export const UNIT = {
  /** open | valid | failed */
  state: 'st',
  /** replicas that must agree (min_quorum; 1 for a trusted host's solo unit) */
  quorum: 'q',
  /** replicas created so far; replica numbers are 0..n-1 */
  replicas: 'n',
  /** replicas wanted and not yet issued */
  need: 'need',
  /** results reported */
  reported: 'ok',
  /** error results reported */
  errors: 'err',
  /** replicas leased and not back */
  out: 'out',
  /** version, bumped on every change: the validator's optimistic concurrency */
  version: 'v',
  /** replica number of the canonical result */
  canon: 'canon',
  /** what the unit was worth when it became valid: credit per valid replica, items, operations (kept so a reopen can take them back) */
  credit: 'cr',
  items: 'it',
  ops: 'op',
} as const;

/** Per-replica fields: the name is the prefix followed by the replica number (`h0`, `s1`, ...). */
export const REPLICA = {
  host: 'h',
  account: 'a',
  /** the host's network (IPv4 /24, IPv6 /48) when the replica was leased; '' for loopback (exempt) */
  network: 'net',
  /** a REPLICA_STATE letter */
  state: 's',
  /** report deadline, epoch ms */
  deadline: 'd',
  /** the result JSON, or for an error the {code, message} JSON */
  result: 'res',
  /** CPU seconds the host reported */
  cpu: 'c',
  /** when the result or error arrived, epoch ms */
  reportedAt: 't',
  /** an OUTCOME letter, written once (a reopen after a host is caught turns V into I) */
  outcome: 'o',
  /** an AUDIT letter: what the verifier found when it recomputed blocks of this result */
  audit: 'au',
  /** the host's trust in the kind when the result arrived, `<epoch>:<consecutive valid>` (see reset_trust in lib.lua) */
  trust: 'tr',
} as const;

/**
 * Marks of who already has a replica (`H:<host>`, `A:<account>`, `N:<network>`) and when a host handed one
 * back (`RH:<host>`).
 */
export const MARK = { host: 'H:', account: 'A:', network: 'N:', handedBack: 'RH:' } as const;

/**
 * Fields of a host's hash (`host:{host}`) that its standing is kept in; the quota fields are also kept in
 * an account's hash (`account:{account}`). A field ending in ':' is followed by a kind name.
 * docs/security.md explains the rules.
 */
export const STANDING = {
  /** decayed count of validated results (half-life PROOF_HALF_LIFE_MS): what the host has proved */
  provenE: 'pvE',
  /** when provenE was last updated, epoch ms */
  provenT: 'pvT',
  /** the daily quota of leases per kind (`dq:<kind>`): doubles with a valid result, halves with an invalid one */
  quota: 'dq:',
  /** the UTC day number (epoch ms / DAY_MS) that quotaUsed counts */
  quotaDay: 'dqd:',
  /** leases of that kind issued on that day, less those handed back unfinished */
  quotaUsed: 'dqn:',
  /** the connection that speaks for the host: `<coordinatorId>/<random>`, set by each hello */
  link: 'link',
} as const;

export const REPLICA_STATE = { leased: 'L', reported: 'R', error: 'E', noReply: 'T', released: 'X' } as const;
export type ReplicaState = (typeof REPLICA_STATE)[keyof typeof REPLICA_STATE];

export const OUTCOME = { valid: 'V', invalid: 'I' } as const;
export type OutcomeLetter = (typeof OUTCOME)[keyof typeof OUTCOME];

/**
 * The verifier's finding on a result: the drawn blocks all agreed (passed), every block of the unit was
 * recomputed and agreed (whole: the result is proven, so a later catch of its host gives no reason to take
 * it back), or one block did not agree (failed).
 */
export const AUDIT = { passed: 'P', whole: 'W', failed: 'F' } as const;
export type AuditLetter = (typeof AUDIT)[keyof typeof AUDIT];
/** Whether an audit letter says the result's recomputed blocks agreed. */
export const auditPassed = (letter: string | undefined): boolean => letter === AUDIT.passed || letter === AUDIT.whole;
export const UNIT_STATE = { open: 'open', valid: 'valid', failed: 'failed' } as const;

/** Constants both sides use. */
export const SHARED = {
  /** Recent average credit decays with BOINC's 7-day half-life. */
  CREDIT_HALF_LIFE_MS: 7 * 86_400_000,
  /** A host that handed a replica back gets that unit again only after this long (other hosts first). */
  HANDBACK_COOLDOWN_MS: 10 * 60_000,
  /** A UTC day: daily quotas count per day number floor(ms / DAY_MS). */
  DAY_MS: 86_400_000,
  /** Proven throughput (validated results) decays with a one-day half-life. */
  PROOF_HALF_LIFE_MS: 86_400_000,
  /** A new host's daily quota per kind: this many leases per thread it declares ... */
  QUOTA_PER_THREAD: 24,
  /** ... counting at most this many threads, whatever it declares. */
  QUOTA_THREADS_MAX: 32,
  /** A new account's daily quota per kind, over all its hosts (two new hosts of the largest size). */
  ACCOUNT_QUOTA_BASE: 2 * 24 * 32,
  /** Doubling stops here (2^24 a day: a unit every 5 ms); halving stops at 1. */
  QUOTA_MAX: 2 ** 24,
} as const;

export const replicaField = (field: keyof typeof REPLICA, r: number | string): string => `${REPLICA[field]}${r}`;

/** The field of `job:{job}:slices` that holds one input slice's sha256. */
export const sliceField = (ref: InputRef): string => `${ref.sha256}:${ref.offset}:${ref.length}`;

const upper = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/**
 * Lua locals built from the tables above: `U_STATE = 'st'`, `R_HOST = 'h'` (used as `R_HOST .. r`),
 * `M_HOST = 'H:'`, `HF_QUOTA = 'dq:'`, `RS_LEASED = 'L'`, `O_VALID = 'V'`, `US_OPEN = 'open'`, each SHARED constant, and
 * FINAL_CODES, per kind the error codes that mean a unit's input is bad, and FINAL_ERROR_HOSTS.
 */
export function luaLayoutPrelude(): string {
  const lines: string[] = [];
  const emit = (prefix: string, table: Record<string, string | number>) => {
    for (const [name, value] of Object.entries(table)) lines.push(`local ${prefix}${prefix ? upper(name) : name} = ${JSON.stringify(value)}`);
  };
  emit('U_', UNIT);
  emit('R_', REPLICA);
  emit('M_', MARK);
  emit('HF_', STANDING);
  emit('RS_', REPLICA_STATE);
  emit('O_', OUTCOME);
  emit('AU_', AUDIT);
  emit('US_', UNIT_STATE);
  emit('', SHARED);
  // Per kind, the codes its kernel raises when a unit's input is bad, whoever computes it
  // (Kind.unitErrorCodes): report.lua fails such a unit once FINAL_ERROR_HOSTS hosts (and at least its
  // quorum) report the same one. One host alone is never proof: under the default policy's quorum of 1,
  // a single liar could otherwise fail every unit it is given, and a key search end without its key.
  const perKind = Object.values(KINDS).map((k) => {
    const codes = (k.unitErrorCodes ?? []).filter((c) => !ERRORS[c].retry).map((c) => `${c} = true`);
    return `[${JSON.stringify(k.name)}] = { ${codes.join(', ')} }`;
  });
  lines.push(`local FINAL_CODES = { ${perKind.join(', ')} }`);
  lines.push('local FINAL_ERROR_HOSTS = 2');
  return lines.join('\n');
}
