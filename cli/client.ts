/** HTTP client for the coordinator's API, used by the CLI commands (submit, status, result, jobs, ...). */
import type { JobDoc } from '../protocol/index.js';

/** Where client commands take their token from when --token is not given. */
export const TOKEN_ENV = 'IDLEGRID_TOKEN';
/** The coordinator sets this header on a job document it redacted (a private job of someone else). */
const REDACTED_HEADER = 'x-idlegrid-redacted';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function coordinatorUrl(flag?: string): string {
  return (flag ?? process.env.IDLEGRID_COORDINATOR ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
}

/** The token for a command: --token, else IDLEGRID_TOKEN, else none (anonymous). */
export function tokenFrom(flag?: string): string | undefined {
  return flag || process.env[TOKEN_ENV] || undefined;
}

/** A client for the commands that share --coordinator and --token. */
export const clientFor = (f: { coordinator?: string; token?: string }): Client => new Client(coordinatorUrl(f.coordinator), tokenFrom(f.token));

/** Commander option pairs shared by every client command. */
export const coordOpt = ['--coordinator <url>', 'coordinator URL (default: IDLEGRID_COORDINATOR or http://127.0.0.1:8080)'] as const;
export const tokenOpt = ['--token <token>', `owner or admin token (default: ${TOKEN_ENV})`] as const;

export class Client {
  constructor(readonly base: string, private readonly token?: string) {}

  async call<T>(method: string, path: string, body?: unknown, raw?: { stream: ReadableStream | NodeJS.ReadableStream; type: string }): Promise<T> {
    return (await this.request<T>(method, path, body, raw)).body;
  }

  async request<T>(method: string, path: string, body?: unknown, raw?: { stream: ReadableStream | NodeJS.ReadableStream; type: string }): Promise<{ body: T; headers: Headers }> {
    let res: Response;
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (raw) headers['content-type'] = raw.type;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: raw ? (raw.stream as ReadableStream) : body !== undefined ? JSON.stringify(body) : undefined,
        ...(raw ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiError(0, 'UNREACHABLE', `cannot reach the coordinator at ${this.base} (${cause}); is it running? (npx idlegrid coordinator)`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(res.status, 'BAD_RESPONSE', `unexpected response from ${this.base}${path}: HTTP ${res.status}`);
    }
    if (!res.ok) {
      const e = (json as { error?: { code: string; message: string } })?.error;
      throw new ApiError(res.status, e?.code ?? 'HTTP_' + res.status, e?.message ?? `HTTP ${res.status}`);
    }
    return { body: json as T, headers: res.headers };
  }

  submit(body: unknown): Promise<JobDoc> {
    return this.call('POST', '/api/jobs', body);
  }
  job(id: string): Promise<JobDoc> {
    return this.call('GET', `/api/jobs/${encodeURIComponent(id)}`);
  }
  /** The job, and whether the coordinator hid its name, parameters and result from this caller. */
  async jobAccess(id: string): Promise<{ doc: JobDoc; redacted: boolean }> {
    const { body, headers } = await this.request<JobDoc>('GET', `/api/jobs/${encodeURIComponent(id)}`);
    return { doc: body, redacted: headers.get(REDACTED_HEADER) === '1' };
  }
  jobs(): Promise<{ jobs: JobDoc[] }> {
    return this.call('GET', '/api/jobs');
  }
  cancel(id: string): Promise<JobDoc> {
    return this.call('DELETE', `/api/jobs/${encodeURIComponent(id)}`);
  }
  createAccount(name: string, team?: string): Promise<{ id: string; key: string; name: string; team: string | null }> {
    return this.call('POST', '/api/accounts', { name, ...(team ? { team } : {}) });
  }
  createToken(name: string): Promise<{ id: string; token: string; name: string }> {
    return this.call('POST', '/api/tokens', { name });
  }
  revokeToken(id: string): Promise<{ id: string; revoked: boolean }> {
    return this.call('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
  }
}
