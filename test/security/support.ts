/** Shared pieces of the security tests: an HTTP caller that can be anyone, and small key-search jobs. */
import { afterAll, beforeAll } from 'vitest';
import { encryptBlock } from '../../workunits/keysearch/kind.js';
import { startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** One HTTP call as a given caller: `token` undefined is anonymous. Never throws on an HTTP error. */
export async function api<T = any>(base: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

/** Parameters of a small RC5-72 search with a key planted at `keyOffset` keys past the start. */
export function keyJobParams(o: { count: number; unitSize: number; keyOffset: number; start?: bigint }) {
  const start = o.start ?? 0x0102030405060000n;
  const key = (start + BigInt(o.keyOffset)).toString(16).padStart(18, '0');
  const iv = '0123456789abcdef';
  const plaintext = '54686520756e6b6e';
  return {
    key,
    params: { algorithm: 'rc5-32/12/9', iv, plaintext, ciphertext: encryptBlock(key, iv, plaintext), start: start.toString(16).padStart(18, '0'), count: o.count, unitSize: o.unitSize },
  };
}

/**
 * A coordinator for a test file's tests (started before them, stopped after), and scripted hosts speaking
 * the protocol on it (test/helpers/fake-worker.ts), each said hello and closed with the file.
 */
export function coordinatorForFile(): { readonly coord: TestCoordinator; host(hello?: Parameters<FakeWorker['hello']>[0], localAddress?: string): Promise<FakeWorker> } {
  let coord: TestCoordinator | undefined;
  const workers: FakeWorker[] = [];
  beforeAll(async () => {
    coord = await startTestCoordinator();
  });
  afterAll(async () => {
    for (const w of workers) w.close();
    await coord?.stop();
  });
  const started = (): TestCoordinator => {
    if (!coord) throw new Error('the coordinator is started before the tests, not while they are collected');
    return coord;
  };
  return {
    get coord() {
      return started();
    },
    async host(hello = {}, localAddress) {
      const w = await FakeWorker.connect(started().wsUrl, localAddress ? { localAddress } : {});
      workers.push(w);
      await w.hello(hello);
      return w;
    },
  };
}
