/**
 * Who is calling the HTTP API, and what they may do (docs/security.md has the whole model).
 *
 * - admin: holds the coordinator's admin token (IDLEGRID_ADMIN_TOKEN, or one generated and printed at
 *   start). May do everything.
 * - owner: holds an owner token made by the admin (POST /api/tokens, `idlegrid token create`). May
 *   submit jobs and upload data, and read and cancel the jobs it submitted.
 * - anonymous: no token. May read public jobs in full and the progress of every job, create a volunteer
 *   account, and (as a host holding a lease, proven by its host secret) read that unit's input slice.
 *
 * An owner token is an account key with the owner role: it lives in the same `account:{id}` hash and
 * `accountkey:{hash}` lookup as volunteer accounts, so the job's `owner` field is an account id and one
 * revocation path covers both. Only sha256 hashes of tokens are ever stored; the admin token's hash is
 * held in memory only.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from './secret-hash.js';
import type { FastifyRequest } from 'fastify';
import { IdlegridError, type JobDoc } from '../protocol/index.js';
import { newJobId } from './ids.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

export const ADMIN_TOKEN_ENV = 'IDLEGRID_ADMIN_TOKEN';
/** A configured admin token shorter than this cannot hold 128 bits of randomness in base64 or hex. */
export const MIN_TOKEN_CHARS = 32;

export type Principal =
  | { role: 'admin'; id: 'admin'; name: 'admin' }
  | { role: 'owner'; id: string; name: string }
  | { role: 'anonymous'; id: null; name: null };

export const ANONYMOUS: Principal = { role: 'anonymous', id: null, name: null };
const ADMIN: Principal = { role: 'admin', id: 'admin', name: 'admin' };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook before any route runs. */
    principal: Principal;
  }
}


/** 256 random bits, URL-safe, with a prefix that says what the token is when it turns up in a log. */
export const newToken = (prefix: 'iga' | 'igo'): string => `${prefix}_${randomBytes(32).toString('base64url')}`;

/** The admin token in force: the configured one (checked for length), or a fresh one to print. */
export interface AdminToken {
  token: string;
  /** Made at start because none was configured: it is printed once. */
  generated: boolean;
}

export function resolveAdminToken(configured: string | undefined): AdminToken {
  if (configured === undefined || configured === '') return { token: newToken('iga'), generated: true };
  if (configured.length < MIN_TOKEN_CHARS) {
    throw new Error(`${ADMIN_TOKEN_ENV} must be at least ${MIN_TOKEN_CHARS} random characters (128 bits); make one with: openssl rand -base64 32`);
  }
  return { token: configured, generated: false };
}

/** Owner tokens in Redis (as account keys with role 'owner'), and the admin token's hash in memory. */
export class TokenStore {
  private readonly adminHash: Buffer;

  constructor(private readonly redis: StoreRedis, private readonly keys: Keys, adminToken: string) {
    this.adminHash = sha256(adminToken);
  }

  async createOwner(name: string): Promise<{ id: string; token: string; name: string }> {
    const id = newJobId();
    const token = newToken('igo');
    const hash = sha256(token).toString('hex');
    await this.redis
      .multi()
      .hset(this.keys.key('account', { account: id }), { id, name, team: '', role: 'owner', createdAt: Date.now(), keyHash: hash })
      .set(this.keys.key('accountKey', { hash }), id)
      .exec();
    return { id, token, name };
  }

  /** Stops an owner token working at once; its jobs keep their owner id. False when there is no such token. */
  async revokeOwner(id: string): Promise<boolean> {
    const ak = this.keys.key('account', { account: id });
    const [role, keyHash] = await this.redis.hmget(ak, 'role', 'keyHash');
    if (role !== 'owner' || !keyHash) return false;
    await this.redis.multi().del(this.keys.key('accountKey', { hash: keyHash })).hset(ak, 'role', 'revoked').exec();
    return true;
  }

  /** The principal a bearer token names, or null for an unknown or revoked one. */
  async resolve(token: string): Promise<Principal | null> {
    const hash = sha256(token);
    if (timingSafeEqual(hash, this.adminHash)) return ADMIN;
    const id = await this.redis.get(this.keys.key('accountKey', { hash: hash.toString('hex') }));
    if (!id) return null;
    const [role, name] = await this.redis.hmget(this.keys.key('account', { account: id }), 'role', 'name');
    // A volunteer's account key proves an account, not the right to run jobs on other people's machines.
    return role === 'owner' ? { role: 'owner', id, name: name ?? '' } : null;
  }

  /** The onRequest hook's work: no header is anonymous; a bad or unknown token is refused, never downgraded. */
  async authenticate(req: FastifyRequest): Promise<Principal> {
    const header = req.headers.authorization;
    if (header === undefined) return ANONYMOUS;
    const m = /^Bearer ([A-Za-z0-9_.~+/=-]{16,256})$/.exec(header);
    if (!m) throw new IdlegridError('UNAUTHORIZED', 'send the token as "authorization: Bearer <token>"');
    const p = await this.resolve(m[1]);
    if (!p) throw new IdlegridError('UNAUTHORIZED', 'the token is not known here (mistyped, revoked, or an admin token of another coordinator)');
    return p;
  }
}

const HOW = {
  owner: 'an owner token; pass it with --token or IDLEGRID_TOKEN (the admin makes them: idlegrid token create --name …)',
  admin: `the admin token; pass it with --token or IDLEGRID_TOKEN (it is the coordinator's ${ADMIN_TOKEN_ENV}, or the one it printed at start)`,
};

/** The caller, if it may act as `role` (admin may act as anything); else a coded 401/403. */
export function requireRole(req: FastifyRequest, role: 'owner' | 'admin', what: string): Principal & { id: string } {
  const p = req.principal;
  if (p.role === 'anonymous') throw new IdlegridError('UNAUTHORIZED', `${what} needs ${HOW[role]}`);
  if (role === 'admin' && p.role !== 'admin') throw new IdlegridError('FORBIDDEN', `${what} needs ${HOW.admin}`);
  return p;
}

export const canReadJob = (p: Principal, doc: Pick<JobDoc, 'owner' | 'public'>): boolean =>
  doc.public || p.role === 'admin' || (p.role === 'owner' && doc.owner === p.id);

export const canChangeJob = (p: Principal, doc: Pick<JobDoc, 'owner'>): boolean =>
  p.role === 'admin' || (p.role === 'owner' && doc.owner === p.id);

/**
 * What a caller who may not read a job sees: its state and progress (the grid's activity is public, as
 * on every volunteer project), never its name, parameters, failures or result.
 */
export function redactJob(doc: JobDoc): JobDoc {
  const { name: _name, ...rest } = doc;
  return { ...rest, params: null, failedUnits: [], result: null, error: doc.error ? { code: doc.error.code, message: 'private job' } : null };
}

/** Response header that tells a client the document it got was redacted, not that the result is missing. */
export { REDACTED_HEADER } from '../protocol/index.js';

export function viewJob(p: Principal, doc: JobDoc): JobDoc {
  return canReadJob(p, doc) ? doc : redactJob(doc);
}
