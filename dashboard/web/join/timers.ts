/** The page's side of the timer thread (timers-worker.ts): setTimeout and setInterval that a hidden tab does not throttle. */
import type { FromTimers, ToTimers } from './messages.js';

export type Cancel = () => void;

export class WorkerTimers {
  private readonly worker: Worker;
  private readonly handlers = new Map<number, { fn: () => void; once: boolean }>();
  private next = 1;

  constructor(url: URL) {
    this.worker = new Worker(url, { type: 'module', name: 'idlegrid timers' });
    this.worker.onmessage = (e: MessageEvent<FromTimers>) => {
      const h = this.handlers.get(e.data.id);
      if (!h) return;
      if (h.once) this.handlers.delete(e.data.id);
      h.fn();
    };
  }

  after(ms: number, fn: () => void): Cancel {
    return this.set('after', ms, fn);
  }

  every(ms: number, fn: () => void): Cancel {
    return this.set('every', ms, fn);
  }

  close(): void {
    this.handlers.clear();
    this.worker.terminate();
  }

  private set(op: 'after' | 'every', ms: number, fn: () => void): Cancel {
    const id = this.next++;
    this.handlers.set(id, { fn, once: op === 'after' });
    this.post({ op, id, ms: Math.max(0, ms) });
    return () => {
      if (!this.handlers.delete(id)) return;
      this.post({ op: 'clear', id });
    };
  }

  private post(m: ToTimers): void {
    this.worker.postMessage(m);
  }
}
