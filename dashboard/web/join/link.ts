/**
 * The tab's WebSocket to the coordinator that served the page: the same protocol as the Node worker
 * (protocol/messages.ts, parsed by the same schemas), hello first, heartbeats on the coordinator's
 * interval, reconnects with backoff. Every timer is on the timer thread (timers.ts), so none of this
 * slows down when the tab is hidden. The socket itself stays on the page's main thread because
 * `pagehide` must be able to hand units back synchronously, just before the page goes.
 */
import { CoordinatorMessage, type WorkerMessage } from '../../../protocol/messages.js';
import { Backoff } from './backoff.js';
import type { Cancel, WorkerTimers } from './timers.js';

/** Close codes after which reconnecting cannot help: say why and stop (coordinator/connection.ts). */
const FINAL_CLOSES: Record<number, string> = {
  4002: 'this page speaks another protocol version than the coordinator: reload the page',
  4003: 'the coordinator refused this host',
  4009: 'another tab or window of this browser connected as this host; this one stopped',
};

export interface LinkEvents {
  message(m: CoordinatorMessage): void;
  up(): void;
  down(reason: string, retryInMs: number): void;
  /** The link gave up for good (see FINAL_CLOSES). */
  ended(reason: string): void;
}

export class Link {
  private ws?: WebSocket;
  private readonly backoff = new Backoff(500, 60_000);
  private seq = 0;
  private stopped = true;
  private beat?: Cancel;
  private retry?: Cancel;
  /** The last error the coordinator sent, to explain a close that follows it. */
  private lastError = '';
  connected = false;
  state = 'starting';

  constructor(
    private readonly url: string,
    private readonly hello: () => WorkerMessage,
    private readonly timers: WorkerTimers,
    private readonly on: LinkEvents,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  send(msg: WorkerMessage): boolean {
    if (!this.connected || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Say bye and close now, without waiting: also what pagehide calls. */
  stop(reason: string): void {
    this.stopped = true;
    this.retry?.();
    this.beat?.();
    this.send({ type: 'bye', reason: reason.slice(0, 200) });
    this.connected = false;
    this.ws?.close(1000, reason.slice(0, 100));
    this.ws = undefined;
  }

  /** Close and open again with a fresh hello (after a change the hello carries, such as more threads). */
  reconnect(reason: string): void {
    this.stop(reason);
    this.start();
  }

  private open(): void {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.lastError = '';
    ws.onopen = () => ws.send(JSON.stringify(this.hello()));
    ws.onmessage = (e: MessageEvent) => {
      if (this.ws !== ws) return;
      let msg: CoordinatorMessage;
      try {
        msg = CoordinatorMessage.parse(JSON.parse(String(e.data)));
      } catch {
        return; // a newer coordinator's message this page does not know: ignore it rather than stop
      }
      if (msg.type === 'welcome') {
        this.connected = true;
        this.backoff.reset();
        this.beat?.();
        this.beat = this.timers.every(msg.heartbeatMs, () => this.send({ type: 'heartbeat', seq: ++this.seq, sentAt: Date.now(), state: this.state.slice(0, 80) }));
        this.on.up();
      }
      if (msg.type === 'error') this.lastError = `${msg.code}: ${msg.message}`;
      this.on.message(msg);
    };
    ws.onclose = (e: CloseEvent) => {
      if (this.ws !== ws) return;
      this.lost(e.code, e.reason);
    };
  }

  private lost(code: number, reason: string): void {
    const was = this.connected;
    this.connected = false;
    this.ws = undefined;
    this.beat?.();
    if (this.stopped) return;
    const final = FINAL_CLOSES[code];
    if (final) {
      this.stopped = true;
      this.on.ended(this.lastError && code === 4003 ? `${final} (${this.lastError})` : final);
      return;
    }
    const wait = this.backoff.next();
    const why = `closed (${code}${reason ? `: ${reason}` : ''})`;
    this.on.down(was ? `connection lost: ${why}` : `cannot reach the coordinator: ${why}`, wait);
    this.retry = this.timers.after(wait, () => {
      this.retry = undefined;
      if (!this.stopped) this.open();
    });
  }
}
