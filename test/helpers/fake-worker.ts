/**
 * A scripted worker that speaks the real protocol over a real WebSocket: for tests of the coordinator
 * (dishonest hosts, out-of-order frames, replays) where a real worker would be too well-behaved.
 */
import keysearch from '../../workunits/keysearch/kind.js';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { CoordinatorMessage, PROTOCOL_VERSION, SOFTWARE, type WorkerMessage } from '../../protocol/index.js';

export class FakeWorker {
  readonly hostId = `h-${randomBytes(8).toString('hex')}`;
  readonly hostSecret = randomBytes(32).toString('hex');
  private readonly inbox: CoordinatorMessage[] = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.inbox.push(CoordinatorMessage.parse(JSON.parse(d.toString())));
      this.waiters.splice(0).forEach((w) => w());
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  static async connect(wsUrl: string): Promise<FakeWorker> {
    const ws = new WebSocket(wsUrl);
    await new Promise((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    return new FakeWorker(ws);
  }

  send(msg: WorkerMessage | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(msg));
  }

  raw(data: string | Buffer): void {
    this.ws.send(data);
  }

  async hello(extra: Partial<Extract<WorkerMessage, { type: 'hello' }>> = {}): Promise<Extract<CoordinatorMessage, { type: 'welcome' }>> {
    this.send({
      type: 'hello', protocol: PROTOCOL_VERSION, hostId: this.hostId, hostSecret: this.hostSecret, software: SOFTWARE,
      facts: { cores: 2, memoryBytes: 1 << 30, platform: 'linux', arch: 'x64' }, threads: 2,
      kinds: [{ name: 'keysearch', version: keysearch.version }], ...extra,
    });
    return (await this.next('welcome')) as Extract<CoordinatorMessage, { type: 'welcome' }>;
  }

  /** The next message of a type (earlier ones of other types stay queued). */
  async next<T extends CoordinatorMessage['type']>(type: T | T[], timeoutMs = 10_000): Promise<Extract<CoordinatorMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    const types: string[] = Array.isArray(type) ? type : [type];
    for (;;) {
      const i = this.inbox.findIndex((m) => types.includes(m.type));
      if (i >= 0) return this.inbox.splice(i, 1)[0] as Extract<CoordinatorMessage, { type: T }>;
      if (this.closed) throw new Error(`connection closed (${this.closed.code} ${this.closed.reason}) while waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms; inbox: ${JSON.stringify(this.inbox).slice(0, 500)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  async request(count: number) {
    this.send({ type: 'request', count });
    return this.next(['work', 'no_work']);
  }

  close(): void {
    this.ws.close();
  }
}
