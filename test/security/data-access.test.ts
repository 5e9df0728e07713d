/**
 * Unit input data goes only to a host that proves its id and holds a live lease on a unit reading exactly
 * that range; uploads need an owner token. A small kind that reads fixed slices of an uploaded object is
 * registered for the test, so the real submission, dispatch and download paths run end to end.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS, type Kind } from '../../workunits/index.js';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { FakeWorker } from '../helpers/fake-worker.js';
import { api } from './support.js';

const SLICE = 1024;
const Params = z.object({ sha: z.string(), units: z.number().int() });
type Spec = { index: number };
const slices: Kind<z.infer<typeof Params>, Spec, { sum: number }, number> = {
  name: 'slicesum', version: 1, title: 'sum of bytes of fixed slices (test kind)', opsUnit: 'bytes',
  params: Params, unitSpec: z.object({ index: z.number() }) as z.ZodType<Spec>, result: z.object({ sum: z.number() }),
  plan: (p) => ({ ok: true, value: { unitsTotal: p.units, opsPerUnit: SLICE, inputs: [p.sha] } }),
  unit: (_p, _plan, index) => ({ index }),
  input: (p, u) => ({ sha256: p.sha, offset: u.index * SLICE, length: SLICE }),
  ops: () => SLICE,
  compare: (a, b) => a.sum === b.sum,
  assemble: (_p, _plan, results) => results.reduce((s, r) => s + r.result.sum, 0),
  kernelModule: 'none.js',
};

let coord: TestCoordinator;
let owner: string;
const blob = randomBytes(4 * SLICE);
let sha: string;

beforeAll(async () => {
  KINDS[slices.name] = slices;
  coord = await startTestCoordinator();
  owner = (await api(coord.url, 'POST', '/api/tokens', { token: adminToken(), body: { name: 'data owner' } })).body.token;
});
afterAll(async () => {
  await coord?.stop();
  delete KINDS[slices.name];
});

const upload = (token?: string) =>
  fetch(`${coord.url}/api/data`, { method: 'POST', body: blob, headers: { 'content-type': 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) } });

describe('data access', () => {
  it('takes uploads only with an owner token', async () => {
    const anon = await upload();
    expect(anon.status).toBe(401);
    expect((await anon.json()).error.code).toBe('UNAUTHORIZED');
    const ok = await upload(owner);
    expect(ok.status).toBe(201);
    sha = (await ok.json()).sha256;
    expect(sha).toBe(createHash('sha256').update(blob).digest('hex'));
  });

  it('serves a unit\'s slice only to the host holding its live lease', async () => {
    const sub = await api(coord.url, 'POST', '/api/jobs', { token: owner, body: { kind: 'slicesum', params: { sha, units: 4 }, policy: { minQuorum: 1, targetResults: 1 } } });
    expect(sub.status).toBe(201);
    const a = await FakeWorker.connect(coord.wsUrl);
    await a.hello({ kinds: [{ name: 'slicesum', version: 1 }] });
    const b = await FakeWorker.connect(coord.wsUrl);
    await b.hello({ kinds: [{ name: 'slicesum', version: 1 }] });
    const work = await a.request(1);
    if (work.type !== 'work') throw new Error(`expected work, got ${JSON.stringify(work)}`);
    const unit = work.units[0];
    const path = unit.input!.path;
    const lease = unit.leaseId;
    const hostA = { 'x-idlegrid-host': a.hostId, 'x-idlegrid-secret': a.hostSecret };
    const get = (p: string, headers: Record<string, string> = {}) => fetch(coord.url + p, { headers });

    const got = await get(path, hostA);
    expect(got.status).toBe(200);
    const bytes = Buffer.from(await got.arrayBuffer());
    expect(bytes.equals(blob.subarray(unit.unit * SLICE, (unit.unit + 1) * SLICE))).toBe(true);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(unit.input!.sha256);

    const refused = async (p: string, headers: Record<string, string>, status: number, code: string) => {
      const r = await get(p, headers);
      expect(r.status, `${p} ${JSON.stringify(headers)}`).toBe(status);
      expect((await r.json()).error.code).toBe(code);
    };
    await refused(path, {}, 401, 'UNAUTHORIZED');
    await refused(path, { ...hostA, 'x-idlegrid-secret': 'z'.repeat(40) }, 403, 'HOST_AUTH');
    await refused(path, { 'x-idlegrid-host': b.hostId, 'x-idlegrid-secret': b.hostSecret }, 403, 'LEASE_NOT_YOURS');
    const other = (unit.unit + 1) % 4;
    await refused(`/api/data/${sha}?offset=${other * SLICE}&length=${SLICE}&lease=${lease}`, hostA, 403, 'FORBIDDEN');
    await refused(`/api/data/${sha}?lease=${lease}`, hostA, 403, 'FORBIDDEN');
    await refused(`/api/data/${sha}?offset=0&length=${SLICE}`, hostA, 400, 'BAD_REQUEST');
    await refused(`/api/data/${sha}?offset=-1&length=${SLICE}&lease=${lease}`, hostA, 400, 'BAD_REQUEST');
    await refused(`/api/data/${sha}?offset=0&length=${SLICE}&lease=${sub.body.id}.99.0`, hostA, 404, 'UNKNOWN_LEASE');
    await refused(`/api/data/${'0'.repeat(63)}g?offset=0&length=1&lease=${lease}`, hostA, 404, 'NOT_FOUND');

    // Once the result is in, the lease is over and so is access.
    a.send({ type: 'results', items: [{ leaseId: lease, result: { sum: 1 }, cpuS: 0, elapsedS: 0 }] });
    expect((await a.next('ack')).items[0].status).toBe('accepted');
    await refused(path, hostA, 410, 'LEASE_NOT_LIVE');

    // The admin may read any range.
    const adm = await get(`/api/data/${sha}?offset=${SLICE}&length=10`, { authorization: `Bearer ${adminToken()}` });
    expect(adm.status).toBe(200);
    expect(Buffer.from(await adm.arrayBuffer()).equals(blob.subarray(SLICE, SLICE + 10))).toBe(true);
    a.close();
    b.close();
  });
});
