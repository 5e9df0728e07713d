/**
 * Jobs for the benchmarks, submitted over the real HTTP API: RC5-72 key searches with fixed parameters
 * (no key is planted in the ranges the simulated hosts "search", which is fine: they compute nothing).
 */
import type { JobDoc } from '../../protocol/index.js';
import type { PolicyInput } from '../../protocol/http.js';

/** Fixed, seeded-by-hand parameters: the same job every run. */
export const BENCH_KEYSEARCH = {
  algorithm: 'rc5-32/12/9',
  iv: '0123456789abcdef',
  plaintext: '54686520756e6b6e',
  ciphertext: '8a4f31c9e2d07b56',
  start: '0a1b2c3d0000000000',
} as const;

export interface KeysearchJob {
  units: number;
  unitSize: number;
  policy?: PolicyInput;
  exhaustive?: boolean;
  /** Override parameters (a real ciphertext for the end-to-end search). */
  params?: Partial<Record<keyof typeof BENCH_KEYSEARCH, string>>;
}

export function keysearchBody(j: KeysearchJob): Record<string, unknown> {
  return {
    kind: 'keysearch',
    name: `bench ${j.units} units`,
    params: {
      ...BENCH_KEYSEARCH,
      ...j.params,
      count: String(BigInt(j.units) * BigInt(j.unitSize)),
      unitSize: j.unitSize,
      exhaustive: j.exhaustive ?? false,
    },
    policy: j.policy ?? {},
  };
}

/** The coordinator to talk to and the admin token it was started with. */
export interface Api {
  url: string;
  token: string;
}

const auth = (api: Api) => ({ authorization: `Bearer ${api.token}` });

export async function submitJob(api: Api, body: Record<string, unknown>): Promise<JobDoc> {
  const res = await fetch(`${api.url}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(api) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`submit failed: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as JobDoc;
}

export async function getJob(api: Api, id: string): Promise<JobDoc> {
  const res = await fetch(`${api.url}/api/jobs/${id}`, { headers: auth(api) });
  if (!res.ok) throw new Error(`job ${id}: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as JobDoc;
}

export async function cancelJob(api: Api, id: string): Promise<void> {
  await fetch(`${api.url}/api/jobs/${id}`, { method: 'DELETE', headers: auth(api) });
}
