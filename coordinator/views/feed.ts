/**
 * Server-sent events for dashboards. One snapshot is built per period and written to every open
 * stream, so the cost does not grow with viewers; nothing is built while nobody watches. A job changing
 * state (bus event) pushes at once. EventSource reconnects by itself, which is why SSE and not a socket.
 */
import type { ServerResponse } from 'node:http';
import type { DashboardEvent } from '../../protocol/index.js';

export const FEED_PERIOD_MS = 2_000;
/** How long a browser waits before reconnecting after the stream drops. */
const RETRY_MS = 3_000;
/** Streams kept per coordinator: beyond that a new one is refused (503) rather than starving the rest. */
export const MAX_STREAMS = 1_000;
const MAX_BUFFERED_BYTES = 1 << 20;

export class DashboardFeed {
  private readonly streams = new Set<ServerResponse>();
  private timer?: NodeJS.Timeout;
  private nudged?: NodeJS.Timeout;
  private building = false;

  constructor(
    private readonly build: () => Promise<DashboardEvent>,
    private readonly onError: (err: Error) => void,
    private readonly periodMs = FEED_PERIOD_MS,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  /** Takes over a response as an event stream; false when the coordinator has too many already. */
  add(res: ServerResponse): boolean {
    if (this.streams.size >= MAX_STREAMS) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n\n`);
    this.streams.add(res);
    res.on('close', () => {
      this.streams.delete(res);
      if (!this.streams.size) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
    if (!this.timer) {
      this.timer = setInterval(() => void this.push(), this.periodMs);
      this.timer.unref();
    }
    void this.push([res]);
    return true;
  }

  /** Something changed (a job's state): push soon, coalescing bursts. */
  nudge(): void {
    if (this.nudged || !this.streams.size) return;
    this.nudged = setTimeout(() => {
      this.nudged = undefined;
      void this.push();
    }, 200);
    this.nudged.unref();
  }

  close(): void {
    clearInterval(this.timer);
    clearTimeout(this.nudged);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private async push(to?: ServerResponse[]): Promise<void> {
    // A slow store must not pile up builds: skip this period, the next one carries the news.
    if (this.building && !to) return;
    if (!to) this.building = true;
    try {
      const event = await this.build();
      const frame = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
      for (const res of to ?? this.streams) {
        if (res.writableEnded) continue;
        // A viewer that stopped reading would make us buffer without bound: drop it, it reconnects later.
        if (res.writableLength > MAX_BUFFERED_BYTES) res.destroy();
        else res.write(frame);
      }
    } catch (err) {
      this.onError(err as Error);
    } finally {
      if (!to) this.building = false;
    }
  }
}
