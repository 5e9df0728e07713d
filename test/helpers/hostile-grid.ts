/**
 * A grid for the adversarial suite: a coordinator on a real port and Redis, honest hosts that are real
 * `idlegrid worker` processes (one thread each, from 127.0.0.1), and helpers to submit key searches with a fresh random key, or signal scans,
 * under the default policy and wait for them to end.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { CoordinatorOptionsInput } from '../../coordinator/options.js';
import { OPS_PER_COBBLESTONE } from '../../coordinator/validator.js';
import { OPS_PER_KEY } from '../../workunits/keysearch/params.js';
import { api, keyJobParams } from '../security/support.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from './coordinator.js';
import { startWorkerProcess, waitFor, type Proc } from './processes.js';
import { keysOn, testRedis } from './redis.js';

export interface KeyJob {
  id: string;
  key: string;
  params: any;
  unitCredit: number;
}

export class HostileGrid {
  readonly honestIds: string[] = [];
  private constructor(readonly coord: TestCoordinator, readonly redis: Redis, readonly workers: Array<Proc & { configDir: string }>) {}

  static async start(honest: number, opts: CoordinatorOptionsInput = {}): Promise<HostileGrid> {
    const coord = await startTestCoordinator(opts);
    const grid = new HostileGrid(coord, testRedis(), Array.from({ length: honest }, () => startWorkerProcess(coord.url, 1)));
    // Honest hosts are connected (their hello is recorded) before any scenario starts.
    for (const w of grid.workers) {
      const id = await waitFor('an honest worker to say hello', async () => {
        if (w.proc.exitCode !== null) throw new Error(`worker exited: ${w.output().slice(-1500)}`);
        const file = join(w.configDir, 'host.json');
        if (!existsSync(file)) return undefined;
        const hostId = JSON.parse(readFileSync(file, 'utf8')).hostId as string;
        return (await grid.redis.zscore(keysOn(grid.redis, grid.prefix).key('hosts'), hostId)) !== null ? hostId : undefined;
      }, 60_000);
      grid.honestIds.push(id);
    }
    return grid;
  }

  get url(): string {
    return this.coord.url;
  }

  /** The coordinator's --prefix (helpers that read Redis tag it on a cluster: store-keys.ts). */
  get prefix(): string {
    return this.coord.options.prefix;
  }

  /**
   * A key search of `units` units of `unitKeys` keys, its key at a random place in a random range,
   * submitted with no policy at all: what a user gets by default.
   */
  async submitKeySearch(units: number, unitKeys: number, exhaustive: boolean): Promise<KeyJob> {
    const start = BigInt(`0x${randomBytes(8).toString('hex')}`) >> 1n;
    const { params, key } = keyJobParams({ count: units * unitKeys, unitSize: unitKeys, keyOffset: randomInt(units * unitKeys), start });
    const sub = await api(this.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'keysearch', params: { ...params, exhaustive } } });
    if (sub.status !== 201) throw new Error(`submit: HTTP ${sub.status} ${JSON.stringify(sub.body)}`);
    return { id: sub.body.id, key, params: sub.body.params, unitCredit: (unitKeys * OPS_PER_KEY) / OPS_PER_COBBLESTONE };
  }

  /** A signal scan with these params, submitted with no policy. */
  async submitFftscan(params: unknown): Promise<{ id: string; params: unknown }> {
    const sub = await api(this.url, 'POST', '/api/jobs', { token: adminToken(), body: { kind: 'fftscan', params } });
    if (sub.status !== 201) throw new Error(`submit: HTTP ${sub.status} ${JSON.stringify(sub.body)}`);
    return { id: sub.body.id, params: sub.body.params };
  }

  async job(id: string): Promise<any> {
    return (await api(this.url, 'GET', `/api/jobs/${id}`, { token: adminToken() })).body;
  }

  async waitForEnd(id: string, timeoutMs = 150_000): Promise<any> {
    return waitFor(`job ${id} to end`, async () => {
      const d = await this.job(id);
      return ['done', 'failed', 'cancelled'].includes(d.state) ? d : undefined;
    }, timeoutMs, 50);
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.kill('SIGKILL')));
    this.redis.disconnect();
    await this.coord.stop();
  }
}
