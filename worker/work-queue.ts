/** Units leased to this host and waiting for a thread, in the order they start (the buffer's contents). */
import type { WorkUnit } from '../protocol/index.js';
import type { HeldUnit } from './work-buffer.js';

export class WorkQueue {
  private units: WorkUnit[] = [];

  get length(): number {
    return this.units.length;
  }

  push(...units: WorkUnit[]): void {
    this.units.push(...units);
  }

  /** Back to the front: an unloaded unit resumes before new ones start. */
  unshift(unit: WorkUnit): void {
    this.units.unshift(unit);
  }

  shift(): WorkUnit | undefined {
    return this.units.shift();
  }

  has(leaseId: string): boolean {
    return this.units.some((u) => u.leaseId === leaseId);
  }

  remove(leaseId: string): boolean {
    const i = this.units.findIndex((u) => u.leaseId === leaseId);
    if (i >= 0) this.units.splice(i, 1);
    return i >= 0;
  }

  /** Empty the queue, returning what was in it. */
  drain(): WorkUnit[] {
    return this.units.splice(0);
  }

  /** What the work buffer counts as in hand: none of it started. */
  held(): HeldUnit[] {
    return this.units.map((u) => ({ kind: u.kind, ops: u.ops, fraction: 0, deadline: u.deadline }));
  }
}
