/**
 * One worker per config directory, as BOINC's client takes its `lockfile`: two workers sharing a host id
 * would kick each other off the coordinator, compute the same units twice and overwrite each other's
 * checkpoints. `worker.lock` holds the owner's PID; a lock whose process is gone (SIGKILL, a crash, a
 * reboot) is taken over. Node has no flock(), so the file itself is the lock, made race-free by atomic
 * operations: link() publishes a complete lock file or fails if one exists, and a stale lock is removed
 * only under a short-lived takeover directory (mkdir is atomic), after checking it is still the stale one,
 * so two workers starting at once over a stale lock never both win.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureConfigDir } from './config-file.js';

export const LOCK_FILE = 'worker.lock';

export interface LockHolder {
  pid: number;
  /** When the holder started (ms since the epoch), for the message a second worker prints. */
  since: number;
  /** Linux: the holder's start time in clock ticks since boot (/proc/PID/stat field 22), so a PID reused by another program after a reboot is not taken for the worker. */
  startTicks?: number;
  /** Unique per acquisition: a holder recognises its own lock when it releases it. */
  token: string;
}

/** Locks this process holds, by file: a second worker in the same process is refused like one in another. */
const heldHere = new Set<string>();

export class InstanceLockBusy extends Error {
  constructor(readonly configDir: string, readonly holder: LockHolder) {
    super(
      `another worker (pid ${holder.pid}, started ${new Date(holder.since).toLocaleString()}) is running with config directory ${configDir}: ` +
        `see what it does with \`idlegrid ctl status --config-dir ${configDir}\`, stop it with \`idlegrid ctl finish\` or \`kill ${holder.pid}\`, ` +
        'or give this one its own --config-dir',
    );
    this.name = 'InstanceLockBusy';
  }
}

export class InstanceLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly file: string, readonly holder: LockHolder) {
    heldHere.add(file);
    // A worker that exits without stop() (process.exit on a second Ctrl-C) still leaves no lock behind.
    process.once('exit', this.onExit);
  }

  /** Take the config directory's lock, or throw InstanceLockBusy naming the worker that holds it. */
  static acquire(configDir: string): InstanceLock {
    ensureConfigDir(configDir);
    const file = join(configDir, LOCK_FILE);
    if (heldHere.has(file)) throw new InstanceLockBusy(configDir, parseHolder(readText(file) ?? '') ?? { pid: process.pid, since: Date.now(), token: '' });
    const mine: LockHolder = { pid: process.pid, since: Date.now(), ...startTicksOf(process.pid), token: randomBytes(12).toString('base64url') };
    // Each round wins, finds a live holder, or removes (or waits out another starter removing) a stale lock.
    for (let round = 0; round < 100; round++) {
      if (publish(file, mine)) return new InstanceLock(file, mine);
      const text = readText(file);
      if (text === undefined) continue; // released between our attempt and our read
      const holder = parseHolder(text);
      if (holder && isAlive(holder, file)) throw new InstanceLockBusy(configDir, holder);
      if (!removeStaleLock(file, text)) sleepMs(10);
    }
    throw new Error(`could not take ${file}: other workers keep starting with config directory ${configDir}; start one at a time`);
  }

  /** Remove the lock if it is still ours. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.file);
    process.off('exit', this.onExit);
    if (parseHolder(readText(this.file) ?? '')?.token === this.holder.token) rmSync(this.file, { force: true });
  }
}

/** Who holds a config directory's lock now, if a live process does (for `idlegrid ctl` messages). */
export function lockHolder(configDir: string): LockHolder | undefined {
  const file = join(configDir, LOCK_FILE);
  const holder = parseHolder(readText(file) ?? '');
  return holder && isAlive(holder, file) ? holder : undefined;
}

/** Write our lock to a private name, then link it into place: the lock appears whole or not at all. */
function publish(file: string, holder: LockHolder): boolean {
  const tmp = `${file}.${process.pid}.${holder.token}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A takeover directory older than this was left by a process that died inside the few microseconds it exists. */
const TAKEOVER_STALE_MS = 5_000;

/**
 * Remove a stale lock, but only the one judged stale, and only while holding the takeover directory:
 * nobody can publish while the stale file exists, so the file removed is exactly the one read. Returns
 * false when another starter holds the takeover directory (try again shortly).
 */
export function removeStaleLock(file: string, staleText: string): boolean {
  const takeover = `${file}.takeover`;
  try {
    mkdirSync(takeover);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(takeover).mtimeMs > TAKEOVER_STALE_MS) rmSync(takeover, { recursive: true, force: true });
    } catch {
      /* gone already */
    }
    return false;
  }
  try {
    if (readText(file) === staleText) rmSync(file, { force: true });
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
  return true;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.token === 'string') {
      return { pid: v.pid as number, since: Number(v.since) || 0, token: v.token, ...(Number.isInteger(v.startTicks) ? { startTicks: v.startTicks } : {}) };
    }
  } catch {
    /* damaged: nobody can be holding it */
  }
  return undefined;
}

function isAlive(holder: LockHolder, file: string): boolean {
  // Our own PID in a lock this process did not take: left by an earlier life of this PID (a container
  // restarted with the same PID), not by us.
  if (holder.pid === process.pid) return heldHere.has(file);
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else, who could be a worker of ours run as another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (holder.startTicks === undefined) return true;
  const now = startTicksOf(holder.pid).startTicks;
  return now === undefined || now === holder.startTicks;
}

/** Linux only: a process's start time since boot, which differs when a PID has been reused. */
function startTicksOf(pid: number): { startTicks?: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isInteger(ticks) ? { startTicks: ticks } : {};
  } catch {
    return {};
  }
}
