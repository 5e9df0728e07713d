/** HTTP client for the coordinator's API, used by the CLI commands (submit, status, result, jobs, ...). */
import type { z } from 'zod';
import { ErrorBody, JobDoc, JobList, REDACTED_HEADER, describeIssues } from '../protocol/index.js';

/** Where client commands take their token from when --token is not given. */
export const TOKEN_ENV = 'IDLEGRID_TOKEN';

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
      const e = ErrorBody.safeParse(json);
      throw new ApiError(res.status, e.success ? e.data.error.code : `HTTP_${res.status}`, e.success ? e.data.error.message : `HTTP ${res.status}`);
    }
    return { body: json as T, headers: res.headers };
  }

  /** A call whose answer is checked against its protocol schema: a mismatch is reported, not trusted. */
  private async checked<S extends z.ZodType>(schema: S, method: string, path: string, body?: unknown): Promise<{ body: z.output<S>; headers: Headers }> {
    const { body: raw, headers } = await this.request<unknown>(method, path, body);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new ApiError(200, 'BAD_RESPONSE', `the coordinator at ${this.base} answered ${method} ${path} with an unexpected document (${describeIssues(parsed.error)}); is it the same idlegrid version?`);
    return { body: parsed.data, headers };
  }

  async submit(body: unknown): Promise<JobDoc> {
    return (await this.checked(JobDoc, 'POST', '/api/jobs', body)).body;
  }
  async job(id: string): Promise<JobDoc> {
    return (await this.checked(JobDoc, 'GET', `/api/jobs/${encodeURIComponent(id)}`)).body;
  }
  /** The job, and whether the coordinator hid its name, parameters and result from this caller. */
  async jobAccess(id: string): Promise<{ doc: JobDoc; redacted: boolean }> {
    const { body, headers } = await this.checked(JobDoc, 'GET', `/api/jobs/${encodeURIComponent(id)}`);
    return { doc: body, redacted: headers.get(REDACTED_HEADER) === '1' };
  }
  async jobs(): Promise<{ jobs: JobDoc[] }> {
    return (await this.checked(JobList, 'GET', '/api/jobs')).body;
  }
  async cancel(id: string): Promise<JobDoc> {
    return (await this.checked(JobDoc, 'DELETE', `/api/jobs/${encodeURIComponent(id)}`)).body;
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
