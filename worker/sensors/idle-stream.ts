/**
 * An idle source fed by one long-lived helper that prints a reading per line. Windows needs it: starting
 * PowerShell costs a fraction of a second of CPU, far too much to pay several times a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { IdleSource } from './idle.js';

export class StreamingIdleSource implements IdleSource {
  private child?: ChildProcess;
  private last: { value: number | null; at: number } | null = null;
  private startedAt = 0;
  private closed = false;
  private firstLine?: () => void;

  /** `staleMs`: a reading older than this is not trusted (the helper hung or died). */
  constructor(
    readonly name: string,
    private readonly cmd: string,
    private readonly args: string[],
    private readonly parse: (line: string) => number | null,
    private readonly staleMs = 3_000,
  ) {}

  async idleSeconds(): Promise<number | null> {
    this.ensureRunning();
    // Just started: wait for the helper's first line rather than answer "cannot tell".
    if (!this.last && Date.now() - this.startedAt < this.staleMs) await new Promise<void>((r) => {
      const t = setTimeout(r, this.staleMs);
      this.firstLine = () => { clearTimeout(t); r(); };
    });
    if (!this.last || Date.now() - this.last.at > this.staleMs) return null;
    return this.last.value;
  }

  close(): void {
    this.closed = true;
    this.child?.kill();
  }

  private ensureRunning(): void {
    if (this.closed || (this.child && this.child.exitCode === null && this.child.signalCode === null)) return;
    // A helper that keeps dying is restarted at most every 10 s, not on every poll.
    if (Date.now() - this.startedAt < 10_000 && this.child) return;
    this.startedAt = Date.now();
    const child = spawn(this.cmd, this.args, { stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true });
    child.on('error', () => {});
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.last = { value: this.parse(line), at: Date.now() };
      if (this.last) this.firstLine?.();
    });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    this.child = child;
  }
}
