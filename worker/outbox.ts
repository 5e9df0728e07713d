/**
 * Finished results wait here, on disk, until the coordinator acknowledges them: a result computed while
 * the coordinator is down, or just before the worker is killed, is delivered on the next connection.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureConfigDir, writeConfigFile } from './config-file.js';

export interface PendingResult {
  leaseId: string;
  result: unknown;
  cpuS: number;
  elapsedS: number;
}

export class Outbox {
  private readonly dir: string;

  constructor(configDir: string) {
    this.dir = join(configDir, 'outbox');
    ensureConfigDir(this.dir);
  }

  add(item: PendingResult): void {
    const file = join(this.dir, `${item.leaseId}.json`);
    // Written then renamed: a crash mid-write never leaves a half result that looks whole.
    writeConfigFile(file, JSON.stringify(item));
  }

  remove(leaseId: string): void {
    rmSync(join(this.dir, `${leaseId}.json`), { force: true });
  }

  /** Results waiting, without reading them. */
  count(): number {
    return readdirSync(this.dir).filter((f) => f.endsWith('.json')).length;
  }

  all(): PendingResult[] {
    const out: PendingResult[] = [];
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as PendingResult);
      } catch {
        rmSync(join(this.dir, f), { force: true });
      }
    }
    return out;
  }
}
