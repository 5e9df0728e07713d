/**
 * Every file the worker keeps in its config directory is written here: the directory is made on first
 * use (owner-only, since it holds the host secret and the account key), and each file is written to a
 * fresh temporary name and renamed over the old one, so a reader never sees half a file and a file's
 * mode holds even where an older copy had looser permissions.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function ensureConfigDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Atomically replace `file` (its directory is created when missing) with `text`. */
export function writeConfigFile(file: string, text: string, mode = 0o600): void {
  ensureConfigDir(dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, text, { mode, flag: 'wx' });
  renameSync(tmp, file);
}
