/** Per-unit checkpoints on disk, written atomically, so a killed worker resumes where it stopped. */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class CheckpointStore {
  private readonly dir: string;

  constructor(configDir: string) {
    this.dir = join(configDir, 'checkpoints');
    mkdirSync(this.dir, { recursive: true });
  }

  save(leaseId: string, checkpoint: unknown): void {
    const file = join(this.dir, `${leaseId}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(checkpoint));
    renameSync(`${file}.tmp`, file);
  }

  load(leaseId: string): unknown {
    try {
      return JSON.parse(readFileSync(join(this.dir, `${leaseId}.json`), 'utf8'));
    } catch {
      return undefined;
    }
  }

  remove(leaseId: string): void {
    rmSync(join(this.dir, `${leaseId}.json`), { force: true });
  }
}
