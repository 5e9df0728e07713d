/**
 * Bodies a user sends are checked whole: an unknown key (a typo) is refused with a 400 that names it and
 * the nearest known key, instead of being dropped while a default takes its place; a name with a
 * control character is refused, naming it. In memory (app.inject) against a real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';
import { keyJobParams } from './support.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => coord?.stop());

const post = async (url: string, body: unknown, token?: string) => {
  const res = await coord.app.inject({
    method: 'POST', url, payload: body as object,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: res.statusCode, error: (res.json() as { error?: { code: string; message: string } }).error };
};
const submit = (body: Record<string, unknown>) => post('/api/jobs', { kind: 'keysearch', params: keyJobParams({ count: 4096, unitSize: 4096, keyOffset: 1 }).params, ...body }, adminToken());
const jobCount = async () => (JSON.parse((await coord.app.inject({ url: '/api/jobs', headers: { authorization: `Bearer ${adminToken()}` } })).body) as { jobs: unknown[] }).jobs.length;

describe('unknown keys are refused, naming the nearest known one', () => {
  it('in the policy: minQuorom is not silently the default', async () => {
    const r = await submit({ policy: { minQuorom: 3 } });
    expect(r.status).toBe(400);
    expect(r.error).toEqual({ code: 'BAD_PARAMS', message: 'job parameters are invalid: policy.minQuorom: unknown key; did you mean minQuorum?' });
  });

  it('in a kind\'s parameters, nested ones included', async () => {
    const { params } = keyJobParams({ count: 4096, unitSize: 4096, keyOffset: 1 });
    const ks = await post('/api/jobs', { kind: 'keysearch', params: { ...params, unitsize: 1024 } }, adminToken());
    expect(ks.status).toBe(400);
    expect(ks.error?.message).toBe('job parameters are invalid: params.unitsize: unknown key; did you mean unitSize?');

    const source = { format: 'synthetic', seed: 1, sampleRateHz: 1e6, centreFrequencyHz: 0, sampleCount: 1 << 16, signals: [] };
    const fs = await post('/api/jobs', { kind: 'fftscan', params: { source: { ...source, sampleRate: 1e6 }, fft_size: 1024 } }, adminToken());
    expect(fs.status).toBe(400);
    expect(fs.error?.code).toBe('BAD_PARAMS');
    expect(fs.error?.message).toContain('params.fft_size: unknown key; did you mean fftSize?');
    expect(fs.error?.message).toContain('params.source.sampleRate: unknown key; did you mean sampleRateHz?');
  });

  it('at the top level of a job, an account and a token', async () => {
    const job = await submit({ nmae: 'typo' });
    expect(job).toEqual({ status: 400, error: { code: 'BAD_REQUEST', message: 'request is invalid: nmae: unknown key; did you mean name?' } });
    const acct = await post('/api/accounts', { name: 'vol', teem: 'x' });
    expect(acct).toEqual({ status: 400, error: { code: 'BAD_REQUEST', message: 'request is invalid: teem: unknown key; did you mean team?' } });
    const tok = await post('/api/tokens', { name: 'lab', expires: 1 }, adminToken());
    expect(tok.status).toBe(400);
    expect(tok.error?.message).toBe('request is invalid: expires: unknown key (known: name)');
    expect(await jobCount()).toBe(0);
  });

  it('and the same bodies without the typo are accepted', async () => {
    expect((await submit({ name: 'fine', policy: { minQuorum: 1, targetResults: 1 } })).status).toBe(201);
    expect((await post('/api/accounts', { name: 'vol', team: 'x' })).status).toBe(201);
    expect(await jobCount()).toBe(1);
  });
});

describe('names with control characters are refused on the way in', () => {
  it('a job name with ESC[2J, an account name with BEL, a team with a bidi override', async () => {
    expect(await submit({ name: 'clear\x1b[2J' })).toEqual({
      status: 400, error: { code: 'BAD_REQUEST', message: 'request is invalid: name: contains a control character (U+001B at character 5); use printable text' },
    });
    expect((await post('/api/accounts', { name: 'ring\x07' })).error?.message).toMatch(/^request is invalid: name: contains a control character \(U\+0007/);
    expect((await post('/api/accounts', { name: 'ok', team: 'evil\u202e' })).error?.message).toMatch(/^request is invalid: team: contains a control character \(U\+202E/);
    expect((await post('/api/tokens', { name: 'tab\there' }, adminToken())).error?.message).toMatch(/name: contains a control character \(U\+0009/);
  });
});
