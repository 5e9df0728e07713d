/**
 * The worker's WebSocket link to a coordinator: connects, says hello, keeps a heartbeat, and reconnects
 * with backoff when the coordinator goes away. Incoming messages are parsed by the protocol schemas.
 * A coordinator that refuses the hello with a code that can never succeed (protocol/errors.ts `retry:
 * false`: an unknown account key, a host id registered with another secret, another protocol version)
 * ends the link for good: retrying would only repeat the refusal. A coordinator that stops answering
 * (a welcome that never comes, heartbeats that get no reply) counts as gone, so a hung server cannot
 * hold the worker.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { CoordinatorMessage, ERRORS, type ErrorCode, type WorkerMessage } from '../protocol/index.js';
import { Backoff } from './backoff.js';

export interface LinkEvents {
  message: [CoordinatorMessage];
  up: [];
  down: [reason: string, retryInMs: number];
  /** The hello was refused for good; the link will not reconnect. */
  refused: [error: { code: string; message: string }];
  rtt: [ms: number];
}

/** Opening handshake and hello -> welcome, each: past this the coordinator is taken as unreachable. */
export const ANSWER_TIMEOUT_MS = 10_000;
/** Heartbeats that may go unanswered before the connection is taken as dead, and never less than this long. */
const SILENT_BEATS = 3;
const SILENT_MIN_MS = 30_000;

export class Link extends EventEmitter<LinkEvents> {
  private ws?: WebSocket;
  private readonly backoff = new Backoff();
  private heartbeat?: NodeJS.Timeout;
  private welcomeTimer?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private seq = 0;
  private lastHeard = 0;
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
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastHeard > Math.max(SILENT_MIN_MS, SILENT_BEATS * intervalMs)) {
        if (this.ws) this.lost(this.ws, `no answer for ${Math.round((Date.now() - this.lastHeard) / 1000)} s`);
        return;
      }
      this.send({ type: 'heartbeat', seq: ++this.seq, sentAt: Date.now(), state: this.state.slice(0, 80) });
    }, intervalMs);
    this.heartbeat.unref();
  }

  /** Say bye and close; never waits on the coordinator more than a second. */
  async stop(reason: string): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.welcomeTimer);
    clearInterval(this.heartbeat);
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      this.send({ type: 'bye', reason });
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1_000);
        ws.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        ws.close(1000, reason.slice(0, 100));
      });
    } else ws?.terminate();
    this.connected = false;
  }

  private open(): void {
    const ws = new WebSocket(this.wsUrl, { handshakeTimeout: ANSWER_TIMEOUT_MS, maxPayload: 64 << 20 });
    this.ws = ws;
    ws.on('open', () => {
      ws.send(JSON.stringify(this.hello()));
      this.welcomeTimer = setTimeout(() => this.lost(ws, `no welcome within ${ANSWER_TIMEOUT_MS / 1000} s of hello`), ANSWER_TIMEOUT_MS);
      this.welcomeTimer.unref();
    });
    ws.on('message', (data) => {
      if (ws !== this.ws) return;
      this.lastHeard = Date.now();
      let msg: CoordinatorMessage;
      try {
        msg = CoordinatorMessage.parse(JSON.parse(data.toString()));
      } catch {
        return; // a newer coordinator's message we do not know: ignore it rather than die
      }
      if (msg.type === 'error' && !this.connected && isFinal(msg.code)) return this.refuse(msg);
      if (msg.type === 'welcome') {
        clearTimeout(this.welcomeTimer);
        this.connected = true;
        this.backoff.reset();
        this.beat(msg.heartbeatMs);
        this.emit('up');
      }
      if (msg.type === 'heartbeat_ack') this.emit('rtt', Date.now() - msg.sentAt);
      this.emit('message', msg);
    });
    ws.on('close', (code, reason) => this.lost(ws, `closed (${code}${reason.length ? `: ${reason}` : ''})`));
    ws.on('error', (err) => this.lost(ws, err.message));
  }

  private refuse(error: { code: string; message: string }): void {
    this.stopped = true;
    clearTimeout(this.welcomeTimer);
    this.ws?.terminate();
    this.emit('refused', { code: error.code, message: error.message });
  }

  /** `ws` lost: events of a socket already replaced by a reconnect are late news and change nothing. */
  private lost(ws: WebSocket, why: string): void {
    if (ws !== this.ws) return;
    clearTimeout(this.welcomeTimer);
    if (ws.readyState !== WebSocket.CLOSED && ws.readyState !== WebSocket.CLOSING) ws.terminate();
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

/** A code the registry marks as never succeeding on retry. */
const isFinal = (code: ErrorCode): boolean => !ERRORS[code].retry;
