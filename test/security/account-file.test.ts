/** The worker's saved account key: readable by its owner only, refused when others could read it. */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accountFile, loadAccountKey, saveAccountKey } from '../../worker/account-file.js';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'ig-acct-'));
  dirs.push(d);
  return join(d, 'config');
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const KEY = `igk_${'a'.repeat(32)}`;

describe.skipIf(process.platform === 'win32')('account key file', () => {
  it('is absent until saved, then saved with mode 0600 and loaded back', () => {
    const dir = fresh();
    expect(loadAccountKey(dir)).toBeUndefined();
    const file = saveAccountKey(dir, KEY);
    expect(file).toBe(accountFile(dir));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o077).toBe(0);
    expect(loadAccountKey(dir)).toBe(KEY);
  });

  it('replaces an older file that others could read with a private one', () => {
    const dir = fresh();
    saveAccountKey(dir, KEY);
    chmodSync(accountFile(dir), 0o644);
    const other = `igk_${'b'.repeat(32)}`;
    saveAccountKey(dir, other);
    expect(statSync(accountFile(dir)).mode & 0o777).toBe(0o600);
    expect(loadAccountKey(dir)).toBe(other);
  });

  it('refuses a key file other users can read, saying how to fix it', () => {
    const dir = fresh();
    saveAccountKey(dir, KEY);
    chmodSync(accountFile(dir), 0o640);
    expect(() => loadAccountKey(dir)).toThrow(/other users can read it: run `chmod 600/);
  });

  it('refuses a damaged file and a malformed key', () => {
    const dir = fresh();
    saveAccountKey(dir, KEY);
    writeFileSync(accountFile(dir), '{"key": "has spaces in it"}', { mode: 0o600 });
    expect(() => loadAccountKey(dir)).toThrow(/does not hold an account key/);
    writeFileSync(accountFile(dir), 'not json', { mode: 0o600 });
    expect(() => loadAccountKey(dir)).toThrow(/does not hold an account key/);
    expect(() => saveAccountKey(dir, 'bad key!')).toThrow(/16-128 characters/);
  });
});
