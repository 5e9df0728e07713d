/** HTTP client for the coordinator's API, used by the CLI commands (submit, status, result, jobs, ...). */
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { CliError } from './errors.js';
import { JobDoc, JobList, REDACTED_HEADER, describeIssues, printable } from '../protocol/index.js';

/** Where client commands take their token from when --token is not given. */
export const TOKEN_ENV = 'IDLEGRID_TOKEN';
/** Where client commands take their request timeout (seconds) from when --timeout is not given. */
export const TIMEOUT_ENV = 'IDLEGRID_TIMEOUT';
/**
 * Seconds a request may go without progress (no answer, no upload chunk taken) before the CLI gives up:
 * long enough for a busy coordinator, short enough that a stuck one is reported, not waited on for ever.
 */
export const DEFAULT_TIMEOUT_S = 30;
const DEFAULT_COORDINATOR = 'http://127.0.0.1:8080';

/** A failed request: the coordinator's error (its HTTP status and code), or the client's own (status 0). */
export class ApiError extends CliError {
  constructor(readonly status: number, code: string, message: string) {
    super(code, message);
    this.name = 'ApiError';
  }
}

/**
 * A coordinator's error body, read leniently: a newer coordinator may send a code this CLI does not
 * know yet, and its message is still the best thing to show.
 */
const AnyErrorBody = z.object({ error: z.object({ code: z.string().max(64), message: z.string() }) });

/**
 * The coordinator's base URL from --coordinator, else IDLEGRID_COORDINATOR, else the local default. A
 * value that is not an http(s) URL is refused here, naming where it came from, rather than failing later
 * as if the coordinator were down.
 */
export function coordinatorUrl(flag?: string): string {
  const env = process.env.IDLEGRID_COORDINATOR || undefined;
  const raw = flag ?? env ?? DEFAULT_COORDINATOR;
  const from = flag !== undefined ? '--coordinator' : env !== undefined ? 'IDLEGRID_COORDINATOR' : 'the default coordinator';
  const bad = (why: string) => new ApiError(0, 'BAD_URL', `${from} "${printable(raw).slice(0, 200)}" ${why}: give the coordinator's address, e.g. ${DEFAULT_COORDINATOR}`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`is not an http:// or https:// URL`);
  if (url.search || url.hash || url.username || url.password) throw bad('has a query, fragment or credentials, which a coordinator address has not');
  return raw.replace(/\/+$/, '');
}

/** The token for a command: --token, else IDLEGRID_TOKEN, else none (anonymous). */
export function tokenFrom(flag?: string): string | undefined {
  return flag || process.env[TOKEN_ENV] || undefined;
}

const seconds = (v: string): number | undefined => {
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) && n > 0 && n <= 86400 ? n : undefined;
};

/** --timeout's parser: seconds, more than 0, at most a day. */
export const timeoutArg = (v: string): number => {
  const n = seconds(v);
  if (n === undefined) throw new InvalidArgumentError('--timeout must be a number of seconds, more than 0 and at most 86400');
  return n;
};

/** The request timeout in seconds: --timeout, else IDLEGRID_TIMEOUT, else DEFAULT_TIMEOUT_S. */
export function timeoutFrom(flag?: number): number {
  if (flag !== undefined) return flag;
  const env = process.env[TIMEOUT_ENV];
  if (env === undefined || env === '') return DEFAULT_TIMEOUT_S;
  const n = seconds(env);
  if (n === undefined) throw new ApiError(0, 'BAD_REQUEST', `${TIMEOUT_ENV}="${printable(env).slice(0, 40)}" is not a number of seconds (more than 0, at most 86400)`);
  return n;
}

export interface ClientFlags {
  coordinator?: string;
  token?: string;
  timeout?: number;
}

/** A client for the commands that share --coordinator, --token and --timeout. */
export const clientFor = (f: ClientFlags): Client => new Client(coordinatorUrl(f.coordinator), tokenFrom(f.token), timeoutFrom(f.timeout));

/** Commander option pairs shared by every client command. */
export const coordOpt = ['--coordinator <url>', 'coordinator URL (default: IDLEGRID_COORDINATOR or http://127.0.0.1:8080)'] as const;
export const tokenOpt = ['--token <token>', `owner or admin token (default: ${TOKEN_ENV})`] as const;
export const timeoutOpt = [
  '--timeout <s>',
  `seconds to wait for the coordinator to answer (or take more of an upload) before giving up (default: ${TIMEOUT_ENV} or ${DEFAULT_TIMEOUT_S})`,
  timeoutArg,
] as const;

type Raw = { stream: ReadableStream | NodeJS.ReadableStream; type: string };

export class Client {
  constructor(readonly base: string, private readonly token?: string, readonly timeoutS = DEFAULT_TIMEOUT_S) {}

  async call<T>(method: string, path: string, body?: unknown, raw?: Raw): Promise<T> {
    return (await this.request<T>(method, path, body, raw)).body;
  }

  /**
   * One request, given up when nothing moves for timeoutS: no answer, and no chunk of an upload taken.
   * Progress resets the clock, so a large upload on a slow link is not cut off while it advances.
   */
  async request<T>(method: string, path: string, body?: unknown, raw?: Raw): Promise<{ body: T; headers: Headers }> {
    const url = this.base + path;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => abort.abort(), this.timeoutS * 1000);
    };
    const timedOut = () =>
      new ApiError(0, 'TIMEOUT', `${method} ${url}: no answer within ${this.timeoutS} s; is the coordinator overloaded, or is something else listening there? (wait longer with --timeout or ${TIMEOUT_ENV})`);
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (raw) headers['content-type'] = raw.type;
    const upload = raw
      ? (raw.stream as ReadableStream).pipeThrough(new TransformStream({ transform: (chunk, out) => (arm(), out.enqueue(chunk)) }))
      : undefined;
    arm();
    try {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          signal: abort.signal,
          body: upload ?? (body !== undefined ? JSON.stringify(body) : undefined),
          ...(upload ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (err) {
        if (abort.signal.aborted) throw timedOut();
        const c = (err as { cause?: { code?: string; message?: string } }).cause;
        const cause = c?.code ?? c?.message ?? (err as Error).message;
        throw new ApiError(0, 'UNREACHABLE', `cannot reach the coordinator at ${this.base} (${cause}); is it running? (npx idlegrid coordinator)`);
      }
      arm();
      let text: string;
      try {
        text = await res.text();
      } catch (err) {
        if (abort.signal.aborted) throw timedOut();
        throw new ApiError(0, 'UNREACHABLE', `the connection to ${this.base} broke while reading the answer to ${method} ${path} (${(err as Error).message})`);
      }
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        throw new ApiError(res.status, 'BAD_RESPONSE', `unexpected response from ${url}: HTTP ${res.status}, not JSON; is ${this.base} an idlegrid coordinator?`);
      }
      if (!res.ok) {
        const e = AnyErrorBody.safeParse(json);
        if (!e.success) throw new ApiError(res.status, 'BAD_RESPONSE', `HTTP ${res.status} from ${url}, without an idlegrid error; is ${this.base} an idlegrid coordinator?`);
        throw new ApiError(res.status, e.data.error.code, e.data.error.message);
      }
      return { body: json as T, headers: res.headers };
    } finally {
      clearTimeout(timer);
    }
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
