/** The hosts connected to this coordinator process, by host id (a host has one live connection). */
import type { CoordinatorMessage } from '../protocol/index.js';
import type { BusEvent } from './events.js';

/** What the registry needs of a host's connection (connection.ts implements it). */
export interface HostLink {
  send(msg: CoordinatorMessage): void;
  close(code: number, reason: string): void;
}

export class HostRegistry {
  private readonly byHost = new Map<string, HostLink>();

  add(hostId: string, conn: HostLink): void {
    const old = this.byHost.get(hostId);
    if (old && old !== conn) old.close(4009, 'the same host connected again');
    this.byHost.set(hostId, conn);
  }

  remove(hostId: string, conn: HostLink): void {
    if (this.byHost.get(hostId) === conn) this.byHost.delete(hostId);
  }

  get size(): number {
    return this.byHost.size;
  }

  has(hostId: string): boolean {
    return this.byHost.has(hostId);
  }

  /**
   * Pass an event to the hosts connected here: cancelled units to drop, credit for judged results.
   * Other coordinators do the same for their hosts.
   */
  deliver(event: BusEvent): void {
    if (event.type === 'credit') {
      for (const i of event.items) this.byHost.get(i.hostId)?.send({ type: 'credit', leaseId: i.leaseId, credit: i.credit, valid: i.valid });
      return;
    }
    if (event.type !== 'cancel') return;
    const byHost = new Map<string, string[]>();
    for (const [lease, host] of event.leases) {
      if (!this.byHost.has(host)) continue;
      byHost.set(host, [...(byHost.get(host) ?? []), lease]);
    }
    for (const [host, leaseIds] of byHost) this.byHost.get(host)?.send({ type: 'cancel', leaseIds, reason: event.reason });
  }

  closeAll(): void {
    for (const conn of this.byHost.values()) conn.close(1001, 'coordinator shutting down');
  }
}
