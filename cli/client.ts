/** HTTP client for the coordinator's API, used by the CLI commands (submit, status, result, jobs, ...). */
import type { JobDoc } from '../protocol/index.js';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function coordinatorUrl(flag?: string): string {
  return (flag ?? process.env.IDLEGRID_COORDINATOR ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
}

export class Client {
  constructor(readonly base: string, private readonly token?: string) {}

  async call<T>(method: string, path: string, body?: unknown, raw?: { stream: ReadableStream | NodeJS.ReadableStream; type: string }): Promise<T> {
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
    return json as T;
  }

  submit(body: unknown): Promise<JobDoc> {
    return this.call('POST', '/api/jobs', body);
  }
  job(id: string): Promise<JobDoc> {
    return this.call('GET', `/api/jobs/${encodeURIComponent(id)}`);
  }
  jobs(): Promise<{ jobs: JobDoc[] }> {
    return this.call('GET', '/api/jobs');
  }
  cancel(id: string): Promise<JobDoc> {
    return this.call('DELETE', `/api/jobs/${encodeURIComponent(id)}`);
  }
}
