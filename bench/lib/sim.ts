/**
 * Parent side of the simulated hosts: start processes of bench/sim/worker.ts, spread hosts over them,
 * and drive them all at once (connect, run, pause, mark a window, read and merge their stats).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { SimCommand, SimConfig, SimReply, SimStats } from '../sim/protocol.js';
import { captureOutput, forkTs, stopProcess } from './procs.js';

type Cmd = SimCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

class SimProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { res: (v: unknown) => void; rej: (e: Error) => void }>();
  readonly output: () => string;

  constructor(readonly proc: ChildProcess) {
    this.output = captureOutput(proc);
    proc.on('message', (m: SimReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.res(m.data);
      else p.rej(new Error(m.error));
    });
    proc.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.rej(new Error(`simulated hosts exited (${code ?? signal}): ${this.output().slice(-1500)}`));
      this.pending.clear();
    });
  }

  call<T>(c: Cmd, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((res, rej) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        rej(new Error(`simulated hosts: "${c.cmd}" took over ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { res: (v) => { clearTimeout(t); res(v as T); }, rej: (e) => { clearTimeout(t); rej(e); } });
      this.proc.send({ ...c, id });
    });
  }
}

export interface SimGroupOptions extends Omit<SimConfig, 'hosts' | 'idPrefix' | 'firstIndex' | 'hostsPerAddress'> {
  /** See SimConfig.hostsPerAddress; 0 (the default) connects from 127.0.0.1. */
  hostsPerAddress?: number;
  /** Hosts in all, spread evenly over `processes`. */
  hosts: number;
  processes: number;
  /** Open files each process needs (its connections and a margin). */
  fds?: number;
}

export class SimGroup {
  private constructor(private readonly procs: SimProcess[]) {}

  /** Start the processes, with no hosts yet (see connect). */
  static spawn(processes: number, fds?: number): SimGroup {
    return new SimGroup(Array.from({ length: processes }, () => new SimProcess(forkTs('bench/sim/worker.ts', [], { fds }))));
  }

  /** Start the processes and connect and greet every host. */
  static async start(o: SimGroupOptions): Promise<SimGroup> {
    const group = SimGroup.spawn(Math.min(o.processes, o.hosts), o.fds);
    try {
      await group.connect(o);
    } catch (err) {
      await group.close();
      throw err;
    }
    return group;
  }

  /** Connect and greet every host (new host ids each time); throws when any could not. */
  async connect(o: SimGroupOptions): Promise<void> {
    const tag = randomBytes(3).toString('hex');
    const per = Math.ceil(o.hosts / this.procs.length);
    const res = await Promise.all(this.procs.map((sp, p) => sp.call<{ connected: number; failed: number }>({
      cmd: 'connect',
      config: {
        ...o, hosts: Math.max(0, Math.min(per, o.hosts - p * per)), idPrefix: `bench${tag}p${p}`, firstIndex: p * per,
        hostsPerAddress: o.hostsPerAddress ?? 0,
      },
    }, 300_000)));
    const failed = res.reduce((s, r) => s + r.failed, 0);
    if (failed) {
      const st = await this.stats();
      throw new Error(`${failed} of ${o.hosts} simulated hosts could not connect: ${st.samples.slice(0, 3).join(' | ')}`);
    }
  }

  /** Close every host's connection (the processes stay, ready to connect again). */
  async disconnect(): Promise<void> {
    await this.all({ cmd: 'disconnect' });
  }

  private all<T>(c: Cmd, timeoutMs?: number): Promise<T[]> {
    return Promise.all(this.procs.map((p) => p.call<T>(c, timeoutMs)));
  }

  async run(): Promise<void> {
    await this.all({ cmd: 'run' });
  }

  /** 'lease' mode: every host asks for its batch once; the units they now hold in all. */
  async lease(): Promise<number> {
    const r = await this.all<{ held: number }>({ cmd: 'run' });
    return r.reduce((s, x) => s + x.held, 0);
  }

  /** Stop asking for work and wait until nothing is in flight. */
  async pause(): Promise<void> {
    await this.all({ cmd: 'pause' });
  }

  async mark(): Promise<void> {
    await this.all({ cmd: 'mark' });
  }

  /** Merged statistics of every process since the last mark. */
  async stats(): Promise<SimStats> {
    const parts = await this.all<SimStats>({ cmd: 'stats' });
    const merged: SimStats = {
      connected: 0, connectFailed: 0, windowMs: 0, resultsSent: 0, accepted: 0, rejected: {}, unitsReceived: 0,
      noWork: {}, errors: {}, dispatchMs: [], heartbeatMs: [], heartbeatsSent: 0, closed: 0, samples: [],
    };
    const add = (into: Record<string, number>, from: Record<string, number>) => {
      for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
    };
    for (const s of parts) {
      merged.connected += s.connected;
      merged.connectFailed += s.connectFailed;
      merged.windowMs = Math.max(merged.windowMs, s.windowMs);
      merged.resultsSent += s.resultsSent;
      merged.accepted += s.accepted;
      merged.unitsReceived += s.unitsReceived;
      merged.heartbeatsSent += s.heartbeatsSent;
      merged.closed += s.closed;
      add(merged.rejected, s.rejected);
      add(merged.noWork, s.noWork);
      add(merged.errors, s.errors);
      for (const x of s.dispatchMs) merged.dispatchMs.push(x);
      for (const x of s.heartbeatMs) merged.heartbeatMs.push(x);
      merged.samples.push(...s.samples);
    }
    return merged;
  }

  get pids(): number[] {
    return this.procs.map((p) => p.proc.pid!);
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map(async (p) => {
      try {
        await p.call({ cmd: 'close' }, 5_000);
      } catch {
        /* already gone */
      }
      await stopProcess(p.proc, 'SIGTERM', 2_000);
    }));
  }
}
