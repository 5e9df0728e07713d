/**
 * One worker per config directory, with real files and real processes: a live holder refuses a second
 * one (named by PID), a dead holder's or a damaged lock is taken over, and of many processes starting
 * at the same moment over a stale lock exactly one wins.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../test/helpers/processes.js';
import { InstanceLock, InstanceLockBusy, LOCK_FILE, lockHolder, removeStaleLock } from './instance-lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'ig-lock-'));

/** The PID of a process that has exited (and so holds nothing). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('instance lock', () => {
  it('a second worker on the same directory is refused, naming the holder; after release it may start', () => {
    const d = dir();
    const first = InstanceLock.acquire(d);
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    expect(lockHolder(d)?.pid).toBe(process.pid);
    let err: unknown;
    try {
      InstanceLock.acquire(d);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InstanceLockBusy);
    expect((err as Error).message).toContain(`another worker (pid ${process.pid}`);
    expect((err as Error).message).toContain(`idlegrid ctl status --config-dir ${d}`);
    first.release();
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
    expect(lockHolder(d)).toBeUndefined();
    InstanceLock.acquire(d).release();
  });

  it('takes over the lock of a process that is gone, and a damaged lock', () => {
    const d = dir();
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: deadPid(), since: Date.now(), token: 'old' }));
    expect(lockHolder(d)).toBeUndefined();
    const a = InstanceLock.acquire(d);
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), 'utf8')).token).toBe(a.holder.token);
    a.release();
    writeFileSync(join(d, LOCK_FILE), '{"pid": 12');
    InstanceLock.acquire(d).release();
  });

  it('a live process of another PID holds it', () => {
    const d = dir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: other.pid, since: Date.now(), token: 'theirs' }));
      expect(() => InstanceLock.acquire(d)).toThrow(`another worker (pid ${other.pid}`);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('removes a stale lock only if it is still the one judged stale, and only one starter at a time', () => {
    const d = dir();
    const file = join(d, LOCK_FILE);
    const stale = JSON.stringify({ pid: deadPid(), since: 0, token: 'stale' });
    // Another starter replaced the stale lock with its own after we read it: ours must not remove theirs.
    const fresh = InstanceLock.acquire(d);
    expect(removeStaleLock(file, stale)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe(fresh.holder.token);
    fresh.release();
    // Another starter is removing it right now (its takeover directory exists): wait, remove nothing.
    writeFileSync(file, stale);
    mkdirSync(`${file}.takeover`);
    expect(removeStaleLock(file, stale)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(stale);
    // A takeover directory left by a starter that died inside it is cleared, and the next try removes the lock.
    utimesSync(`${file}.takeover`, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(removeStaleLock(file, stale)).toBe(false);
    expect(removeStaleLock(file, stale)).toBe(true);
    expect(existsSync(file)).toBe(false);
  });

  it('of six processes starting at the same moment over a stale lock, exactly one wins', async () => {
    const d = dir();
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: deadPid(), since: 0, token: 'stale' }));
    const module = pathToFileURL(join(ROOT, 'dist', 'worker', 'instance-lock.js')).href;
    const at = Date.now() + 1_500;
    // Each waits for the same wall-clock moment, tries once, reports, and holds a winning lock a while
    // so that a late loser cannot mistake a released lock for a free one.
    const script = `
      const { InstanceLock } = await import(${JSON.stringify(module)});
      while (Date.now() < ${at}) {}
      try { InstanceLock.acquire(${JSON.stringify(d)}); console.log('won'); setTimeout(() => {}, 2000); }
      catch (e) { console.log(e.name === 'InstanceLockBusy' ? 'busy' : 'error ' + e.message); }`;
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => new Promise<string>((resolve) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (b) => (out += b));
      p.on('exit', () => resolve(out.trim()));
    })));
    expect(outcomes.sort()).toEqual(['busy', 'busy', 'busy', 'busy', 'busy', 'won']);
  });
});
