import { describe, expect, it } from 'vitest';
import { CoordinatorMessage, WorkerMessage, PROTOCOL_VERSION, JobDoc, Policy } from './index.js';

const unit = { leaseId: 'abcdefgh.3.1', jobId: 'abcdefgh', unit: 3, kind: 'keysearch', kindVersion: 1, spec: { a: 1 }, deadline: 1e12, ops: 1e9 };

const worker: WorkerMessage[] = [
  { type: 'hello', protocol: PROTOCOL_VERSION, hostId: 'h-12345678', hostSecret: 'x'.repeat(40), software: 'idlegrid/0', facts: { cores: 2, memoryBytes: 1, platform: 'linux', arch: 'x64' }, threads: 2, kinds: [{ name: 'keysearch', version: 1 }], bench: { keysearch: 1e6 } },
  { type: 'request', count: 4, reqId: 1 },
  { type: 'results', items: [{ leaseId: 'abcdefgh.3.1', result: { found: [] }, cpuS: 1, elapsedS: 2 }] },
  { type: 'failures', items: [{ leaseId: 'abcdefgh.3.1', code: 'UNIT_ERROR', message: 'boom' }] },
  { type: 'progress', items: [{ leaseId: 'abcdefgh.3.1', fraction: 0.5, opsPerS: 10 }] },
  { type: 'release', leaseIds: ['abcdefgh.3.1'], reason: 'shutdown' },
  { type: 'heartbeat', seq: 1, sentAt: 5, state: 'running' },
  { type: 'bye', reason: 'done' },
];

const coordinator: CoordinatorMessage[] = [
  { type: 'welcome', protocol: PROTOCOL_VERSION, coordinatorId: 'c1', hostId: 'h-12345678', serverTime: 1, heartbeatMs: 1000, maxBatch: 64, leases: [unit] },
  { type: 'work', units: [{ ...unit, input: { path: '/api/data/x', sha256: 'a'.repeat(64), length: 10 } }], reqId: 1 },
  { type: 'no_work', reason: 'no_jobs', message: 'no jobs are queued', retryMs: 5000 },
  { type: 'ack', items: [{ leaseId: 'abcdefgh.3.1', status: 'accepted' }, { leaseId: 'abcdefgh.3.2', status: 'rejected', error: { code: 'DUPLICATE_RESULT', message: 'dup' } }] },
  { type: 'cancel', leaseIds: ['abcdefgh.3.1'], reason: 'job done' },
  { type: 'heartbeat_ack', seq: 1, sentAt: 5, serverTime: 6 },
  { type: 'credit', leaseId: 'abcdefgh.3.1', credit: 0.5, valid: true },
  { type: 'error', code: 'BAD_MESSAGE', message: 'x', ref: 'request' },
];

describe('protocol schemas', () => {
  it('cover every message type, and each round-trips through JSON unchanged', () => {
    const wTypes = new Set(worker.map((m) => m.type));
    const cTypes = new Set(coordinator.map((m) => m.type));
    expect([...wTypes].sort()).toEqual(WorkerMessage.options.map((o) => o.shape.type.value).sort());
    expect([...cTypes].sort()).toEqual(CoordinatorMessage.options.map((o) => o.shape.type.value).sort());
    for (const m of worker) expect(WorkerMessage.parse(JSON.parse(JSON.stringify(m)))).toEqual(m);
    for (const m of coordinator) expect(CoordinatorMessage.parse(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it('reject malformed messages with the field named', () => {
    const bad = WorkerMessage.safeParse({ type: 'request', count: 0 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].path).toEqual(['count']);
    expect(WorkerMessage.safeParse({ type: 'nope' }).success).toBe(false);
    expect(WorkerMessage.safeParse({ type: 'results', items: [{ leaseId: '../../etc', result: 1, cpuS: 0, elapsedS: 0 }] }).success).toBe(false);
    expect(WorkerMessage.safeParse({ type: 'hello', protocol: 1, hostId: 'short' }).success).toBe(false);
  });

  it('fills BOINC policy defaults and checks their relations', () => {
    expect(Policy.parse({})).toMatchObject({ minQuorum: 2, targetResults: 2, maxErrorResults: 3, maxTotalResults: 10 });
    const bad = Policy.safeParse({ minQuorum: 3, targetResults: 2 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0].path).toEqual(['targetResults']);
  });

  it('keeps the job document contract fields', () => {
    expect(Object.keys(JobDoc.shape)).toEqual(expect.arrayContaining(['id', 'kind', 'state', 'createdAt', 'progress', 'result']));
    expect(Object.keys(JobDoc.shape.progress.shape)).toEqual(expect.arrayContaining(['unitsTotal', 'unitsDone']));
  });
});
