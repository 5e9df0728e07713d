/**
 * Events between coordinators over Redis pub/sub: a coordinator that cancels units tells every other
 * one, and each forwards the cancel to the hosts connected to it. Losing an event is harmless: a
 * cancelled replica's late result is refused anyway.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

export type BusEvent =
  | { type: 'cancel'; leases: Array<[leaseId: string, hostId: string]>; reason: string }
  | { type: 'job'; id: string; state: string }
  | { type: 'credit'; items: Array<{ leaseId: string; hostId: string; credit: number; valid: boolean }> };

export class EventBus extends EventEmitter<{ event: [BusEvent] }> {
  private constructor(private readonly pub: Redis, private readonly sub: Redis, private readonly channel: string) {
    super();
  }

  static async start(redis: Redis, channel: string): Promise<EventBus> {
    const sub = redis.duplicate();
    sub.on('error', () => {});
    const bus = new EventBus(redis, sub, channel);
    sub.on('message', (_ch, msg) => {
      try {
        bus.emit('event', JSON.parse(msg) as BusEvent);
      } catch {
        /* a foreign or corrupt message on our channel: ignore */
      }
    });
    await sub.subscribe(channel);
    return bus;
  }

  async publish(event: BusEvent): Promise<void> {
    await this.pub.publish(this.channel, JSON.stringify(event));
  }

  async close(): Promise<void> {
    this.sub.disconnect();
  }
}
