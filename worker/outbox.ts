/**
 * Finished results wait here, on disk, until the coordinator acknowledges them: a result computed while
 * the coordinator is down, or just before the worker is killed, is delivered on the next connection.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
    mkdirSync(this.dir, { recursive: true });
  }

  add(item: PendingResult): void {
    const file = join(this.dir, `${item.leaseId}.json`);
    // Write then rename: a crash mid-write never leaves a half result that looks whole.
    writeFileSync(`${file}.tmp`, JSON.stringify(item));
    renameSync(`${file}.tmp`, file);
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
