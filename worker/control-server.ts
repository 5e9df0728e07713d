/**
 * The control interface (what boinccmd and fahctl talk to): HTTP on 127.0.0.1, a port the OS picks,
 * every request carrying the token from control.json as a bearer token. Errors are `{ error: { code,
 * message } }` with codes from protocol/errors.ts.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { wireError, type ErrorCode } from '../protocol/index.js';
import { newToken, removeControlFile, writeControlFile } from './control-file.js';

/** What the control interface can ask of the running worker. */
export interface Controlled {
  status(): unknown;
  pause(): void;
  resume(): void;
  finish(): void;
  /** Change one preference from text; an error message says what is wrong with the value. */
  set(key: string, value: string): { ok: true; value: unknown } | { ok: false; error: string };
}

const MAX_BODY = 16 * 1024;

export class ControlServer {
  private readonly server: Server;
  readonly token = newToken();
  port = 0;

  constructor(private readonly target: Controlled, private readonly configDir: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    writeControlFile(this.configDir, { port: this.port, token: this.token, pid: process.pid });
    return this.port;
  }

  async close(): Promise<void> {
    removeControlFile(this.configDir, process.pid);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
    const want = Buffer.from(this.token);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      // Infinity (the idle time of a machine nobody can sit at) has no JSON form: it travels as a string.
      res.end(JSON.stringify(body, (_k, v) => (v === Infinity ? 'Infinity' : v)));
    };
    const fail = (status: number, code: ErrorCode, detail: string) => send(status, { error: wireError(code, detail) });
    if (!this.authorized(req)) return fail(401, 'UNAUTHORIZED', 'send the token from control.json in the config directory (idlegrid ctl does)');
    const route = `${req.method} ${req.url}`;
    switch (route) {
      case 'GET /v1/status':
        return send(200, this.target.status());
      case 'POST /v1/pause':
        this.target.pause();
        return send(200, { ok: true });
      case 'POST /v1/resume':
        this.target.resume();
        return send(200, { ok: true });
      case 'POST /v1/finish':
        this.target.finish();
        return send(200, { ok: true });
      case 'POST /v1/set': {
        const body = await readJson(req);
        if (!body || typeof body.key !== 'string' || typeof body.value !== 'string') return fail(400, 'BAD_REQUEST', 'body must be {"key": string, "value": string}');
        const r = this.target.set(body.key, body.value);
        return r.ok ? send(200, { ok: true, key: body.key, value: r.value }) : fail(400, 'BAD_REQUEST', r.error);
      }
      default:
        return fail(404, 'NOT_FOUND', `${route}; try GET /v1/status, POST /v1/pause, /v1/resume, /v1/finish, /v1/set`);
    }
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(c as Buffer);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
