/**
 * The worker's WebSocket link to a coordinator: connects, says hello, keeps a heartbeat, and reconnects
 * with backoff when the coordinator goes away. Incoming messages are parsed by the protocol schemas.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { CoordinatorMessage, type WorkerMessage } from '../protocol/index.js';
import { Backoff } from './backoff.js';

export interface LinkEvents {
  message: [CoordinatorMessage];
  up: [];
  down: [reason: string, retryInMs: number];
  rtt: [ms: number];
}

export class Link extends EventEmitter<LinkEvents> {
  private ws?: WebSocket;
  private readonly backoff = new Backoff();
  private heartbeat?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private seq = 0;
  private stopped = false;
  connected = false;
  state = 'starting';

  constructor(private readonly wsUrl: string, private readonly hello: () => WorkerMessage) {
    super();
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  send(msg: WorkerMessage): boolean {
    if (!this.connected || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Heartbeat interval comes from the coordinator's welcome. */
  beat(intervalMs: number): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.send({ type: 'heartbeat', seq: ++this.seq, sentAt: Date.now(), state: this.state.slice(0, 80) }), intervalMs);
    this.heartbeat.unref();
  }

  async stop(reason: string): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.heartbeat);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.send({ type: 'bye', reason });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1_000);
        this.ws!.once('close', () => { clearTimeout(t); resolve(); });
        this.ws!.close(1000, reason.slice(0, 100));
      });
    } else this.ws?.terminate();
  }

  private open(): void {
    const ws = new WebSocket(this.wsUrl, { handshakeTimeout: 10_000, maxPayload: 64 << 20 });
    this.ws = ws;
    ws.on('open', () => {
      ws.send(JSON.stringify(this.hello()));
    });
    ws.on('message', (data) => {
      let msg: CoordinatorMessage;
      try {
        msg = CoordinatorMessage.parse(JSON.parse(data.toString()));
      } catch {
        return; // a newer coordinator's message we do not know: ignore it rather than die
      }
      if (msg.type === 'welcome') {
        this.connected = true;
        this.backoff.reset();
        this.beat(msg.heartbeatMs);
        this.emit('up');
      }
      if (msg.type === 'heartbeat_ack') this.emit('rtt', Date.now() - msg.sentAt);
      this.emit('message', msg);
    });
    ws.on('close', (code, reason) => this.lost(`closed (${code}${reason.length ? `: ${reason}` : ''})`));
    ws.on('error', (err) => this.lost(err.message));
  }

  private lost(why: string): void {
    if (this.ws?.readyState !== WebSocket.CLOSED && this.ws?.readyState !== WebSocket.CLOSING) this.ws?.terminate();
    const was = this.connected;
    this.connected = false;
    clearInterval(this.heartbeat);
    if (this.stopped || this.retry) return;
    const wait = this.backoff.next();
    this.emit('down', was ? `connection lost: ${why}` : `cannot reach coordinator: ${why}`, wait);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) this.open();
    }, wait);
  }
}
