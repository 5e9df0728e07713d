/**
 * The volunteer's account key, kept in the worker's config directory (`account.json`, mode 0600) so a
 * worker started once with `--account KEY` that a coordinator accepted (or set up by `idlegrid account
 * create --save`) keeps earning credit for that account after restarts without the key sitting in a
 * shell history or a process list.
 * The key is a bearer secret: a file other users can read is refused, as ssh refuses a readable key.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeConfigFile } from './config-file.js';

export const ACCOUNT_FILE = 'account.json';
/** What the coordinator issues (`igk_` + 192 bits in base64url); anything else in the file is a mistake. */
const KEY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

export function accountFile(configDir: string): string {
  return join(configDir, ACCOUNT_FILE);
}

/** The saved account key, or undefined when none was saved. Throws with the fix when the file is unsafe or damaged. */
export function loadAccountKey(configDir: string): string | undefined {
  const file = accountFile(configDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    throw new Error(`${file} holds an account key but other users can read it: run \`chmod 600 ${file}\` and start again`);
  }
  let key: unknown;
  try {
    key = (JSON.parse(text) as { key?: unknown }).key;
  } catch {
    key = undefined;
  }
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new Error(`${file} does not hold an account key ({"key": "igk_..."}); delete it, or save one with \`idlegrid account create --save\``);
  }
  return key;
}

/** Throws with what an account key looks like when `key` cannot be one. */
export function checkAccountKey(key: string): void {
  if (!KEY_PATTERN.test(key)) throw new Error('an account key is 16-128 characters of A-Z a-z 0-9 _ - (as `idlegrid account create` prints it)');
}

/**
 * Stores the key readable by its owner only (also when an older file had looser permissions); returns
 * the path. `idlegrid worker --account` calls it only once a coordinator has accepted the key, so a
 * mistyped key never sticks.
 */
export function saveAccountKey(configDir: string, key: string): string {
  checkAccountKey(key);
  const file = accountFile(configDir);
  // writeConfigFile writes a fresh file and renames it: the key is never readable by others, not even for a moment.
  writeConfigFile(file, `${JSON.stringify({ key })}\n`);
  return file;
}
