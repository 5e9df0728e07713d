/**
 * Volunteer accounts: a name, an optional team, and a random key (128 bits) stored only as its hash.
 * A worker attaches with the key; credit is summed per host, account and team.
 */
import { randomBytes } from 'node:crypto';
import { sha256Hex } from './secret-hash.js';
import { newJobId } from './ids.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

export const hashKey = sha256Hex;

export class AccountStore {
  constructor(private readonly redis: StoreRedis, private readonly keys: Keys) {}

  async create(name: string, team?: string): Promise<{ id: string; key: string; name: string; team: string | null }> {
    const id = newJobId();
    const key = `igk_${randomBytes(24).toString('base64url')}`;
    const teamId = team ? team.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 32) : '';
    const tx = this.redis
      .multi()
      .hset(this.keys.key('account', { account: id }), { id, name, team: teamId, createdAt: Date.now(), keyHash: hashKey(key) })
      .set(this.keys.key('accountKey', { hash: hashKey(key) }), id);
    if (teamId) tx.hsetnx(this.keys.key('team', { team: teamId }), 'name', team!);
    await tx.exec();
    return { id, key, name, team: teamId || null };
  }

  /** Account id for a key, or '' when the key is unknown. */
  async resolve(key: string): Promise<string> {
    return (await this.redis.get(this.keys.key('accountKey', { hash: hashKey(key) }))) ?? '';
  }
}
