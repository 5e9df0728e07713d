/**
 * A real HTTP and WebSocket proxy between a worker and a coordinator that can hold one input download
 * until the test releases it, with bytes of the test's choosing: for claims about what a worker does
 * with a download that ends while its coordinator is gone. Everything else passes through; when the
 * coordinator goes away, so do the worker's connections through here, and downloads get 502.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface HeldDownload {
  /** Resolves once a download has arrived and the coordinator's bytes are in hand. */
  held: Promise<void>;
  /** Answer it now with these bytes made from the coordinator's. */
  release(transform: (bytes: Buffer) => Buffer): void;
}

export interface HoldProxy {
  url: string;
  holdNextDownload(): HeldDownload;
  close(): Promise<void>;
}

export async function startHoldProxy(coordinatorPort: number): Promise<HoldProxy> {
  const target = `http://127.0.0.1:${coordinatorPort}`;
  let armed: { arrived: () => void; answer: Promise<(b: Buffer) => Buffer> } | null = null;
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => void forward(req, res));
  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection'].includes(k)) headers[k] = v;
    let status: number;
    let type: string;
    let body: Buffer;
    try {
      const up = await fetch(target + req.url, { method: req.method, headers });
      status = up.status;
      type = up.headers.get('content-type') ?? 'application/octet-stream';
      body = Buffer.from(await up.arrayBuffer());
    } catch {
      res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"code":"INTERNAL","message":"coordinator unreachable"}}');
      return;
    }
    const hold = armed && req.url?.startsWith('/api/data/') ? armed : null;
    if (hold) {
      armed = null;
      hold.arrived();
      body = (await hold.answer)(body);
    }
    res.writeHead(status, { 'content-type': type, 'content-length': body.length }).end(body);
  }

  // WebSocket upgrades: a raw byte pipe to the coordinator, closed on both sides when either side goes.
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const upstream = connect(coordinatorPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
    upstream.on('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      client.pipe(upstream).pipe(client);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    holdNextDownload() {
      let arrived!: () => void;
      let answer!: (t: (b: Buffer) => Buffer) => void;
      const held = new Promise<void>((r) => (arrived = r));
      armed = { arrived, answer: new Promise((r) => (answer = r)) };
      return { held, release: (t) => answer(t) };
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
