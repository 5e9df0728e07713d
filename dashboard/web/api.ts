/** The coordinator's HTTP API as the dashboard uses it; shapes come from protocol/ (types only: no zod in the page). */
import { REDACTED_HEADER } from '../../protocol/headers.js';
import type { DashboardEvent, History, HistoryRange, HostDetail, HostList, JobDoc, Leaderboard } from '../../protocol/index.js';

export type Snapshot = Extract<DashboardEvent, { type: 'snapshot' }>;

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function request<T>(path: string): Promise<{ body: T; res: Response }> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? `${path}: HTTP ${res.status}`);
  }
  return { body: body as T, res };
}

const get = async <T>(path: string): Promise<T> => (await request<T>(path)).body;

/** A job as this (anonymous) page may see it; `redacted` when it is private and only its progress came. */
async function job(id: string): Promise<{ doc: JobDoc; redacted: boolean }> {
  const { body, res } = await request<JobDoc>(`/api/jobs/${encodeURIComponent(id)}`);
  return { doc: body, redacted: res.headers.get(REDACTED_HEADER) === '1' };
}

export const api = {
  history: (range: HistoryRange) => get<History>(`/api/history?range=${range}`),
  job,
  hosts: () => get<HostList>('/api/hosts?limit=100'),
  host: (id: string) => get<HostDetail>(`/api/hosts/${encodeURIComponent(id)}`),
  leaderboard: (by: Leaderboard['by']) => get<Leaderboard>(`/api/leaderboard?by=${by}&limit=20`),
};

/**
 * The live feed. EventSource reconnects by itself after a drop (the server says how soon); `onState`
 * tells the page whether it is live, so a stale figure is never shown as current.
 */
export function connectFeed(onSnapshot: (s: Snapshot) => void, onState: (live: boolean) => void): () => void {
  const source = new EventSource('/api/events');
  source.addEventListener('snapshot', (e) => {
    onState(true);
    onSnapshot(JSON.parse((e as MessageEvent<string>).data) as Snapshot);
  });
  source.addEventListener('error', () => onState(false));
  return () => source.close();
}
