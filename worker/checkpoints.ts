/** Per-unit checkpoints on disk, written atomically, so a killed worker resumes where it stopped. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureConfigDir, writeConfigFile } from './config-file.js';

export class CheckpointStore {
  private readonly dir: string;

  constructor(configDir: string) {
    this.dir = join(configDir, 'checkpoints');
    ensureConfigDir(this.dir);
  }

  save(leaseId: string, checkpoint: unknown): void {
    const file = join(this.dir, `${leaseId}.json`);
    writeConfigFile(file, JSON.stringify(checkpoint));
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
