/**
 * How busy the rest of the machine is: the share of all cores that programs other than this worker used
 * since the last sample, 0..1.
 *
 * Linux: normal-priority time from /proc/stat (user, system, irq, softirq, steal; niced user time is in
 * its own column) minus this process's own normal-priority time from /proc/self/task/* /stat. Niced work
 * is left out on both sides on purpose: our compute threads run at nice 19, and another low-priority
 * volunteer client (even a second idlegrid worker) does not compete with the user either, so counting it
 * would only make two polite programs pause each other in turn. Elsewhere: os.cpus() busy time minus
 * process.cpuUsage(), which cannot tell niced time apart.
 */
import { cpus } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Counters {
  /** Normal-priority busy time of the whole machine, and all time, in the same unit. */
  busy: number;
  total: number;
  /** This process's normal-priority time, same unit. */
  own: number;
}

export function parseProcStat(text: string): { busy: number; total: number } | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  if (![user, nice, system, idle].every(Number.isFinite)) return null;
  const busy = user + system + irq + softirq + steal;
  return { busy, total: busy + nice + idle + iowait };
}

/** Ticks of one thread's /proc/<pid>/task/<tid>/stat that count as normal-priority time. */
export function parseTaskStat(text: string): number | null {
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14, stime 15, nice 19 (proc(5)).
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const nice = Number(f[16]);
  if (![utime, stime, nice].every(Number.isFinite)) return null;
  return nice > 0 ? stime : utime + stime;
}

function linuxCounters(proc: string): Counters | null {
  let stat: string;
  try {
    stat = readFileSync(join(proc, 'stat'), 'utf8');
  } catch {
    return null;
  }
  const machine = parseProcStat(stat);
  if (!machine) return null;
  let own = 0;
  let tasks: string[] = [];
  try {
    tasks = readdirSync(join(proc, 'self', 'task'));
  } catch {
    return null;
  }
  for (const t of tasks) {
    try {
      own += parseTaskStat(readFileSync(join(proc, 'self', 'task', t, 'stat'), 'utf8')) ?? 0;
    } catch {
      /* the thread ended between the listing and the read */
    }
  }
  return { ...machine, own };
}

function portableCounters(): Counters {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  const u = process.cpuUsage();
  return { busy, total, own: (u.user + u.system) / 1000 };
}

export class CpuLoad {
  private last: Counters | null = null;
  readonly method: string;
  private readonly read: () => Counters | null;

  constructor(platform: NodeJS.Platform = process.platform, proc = '/proc') {
    const linux = platform === 'linux' && linuxCounters(proc) !== null;
    this.method = linux ? '/proc/stat minus own threads (normal priority only)' : 'os.cpus() minus own process';
    this.read = linux ? () => linuxCounters(proc) : portableCounters;
    // Both sides of a difference share a unit: clock ticks on /proc, milliseconds in the portable read.
  }

  /** Other programs' share of all cores since the previous call; null on the first call or no data. */
  sample(): number | null {
    const now = this.read();
    const prev = this.last;
    this.last = now;
    if (!now || !prev) return null;
    const total = now.total - prev.total;
    if (total <= 0) return null;
    const other = now.busy - prev.busy - (now.own - prev.own);
    return Math.min(1, Math.max(0, other / total));
  }
}
