/**
 * End to end with real processes: redis + a coordinator + two workers, under the default policy (one
 * result per unit, audited by the coordinator's verifier). The signal scan on the filterbank sample submitted with the CLI, the SETI@home reference unit
 * narrowed to the chirps around its best official spike, a seeded synthetic tone, and issue 15's three
 * tones (a SigMF recording written here and submitted with the CLI); the answers' candidates and the
 * waterfall pictures served for them.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditPassed, OUTCOME, UNIT_STATE } from '../../coordinator/store/unit-layout.js';
import type { JobDoc } from '../../protocol/index.js';
import { readFilterbank } from '../../workunits/fftscan/filterbank.js';
import { SETIATHOME_REFERENCE_SPIKES } from '../../workunits/fftscan/presets.js';
import { sahSource } from '../../workunits/fftscan/sah.js';
import { taylorSearch } from '../../workunits/fftscan/taylor.js';
import type { Candidate } from '../../workunits/fftscan/types.js';
import { fixturePath } from '../helpers/fixtures.js';
import { TONES, TONES_CENTRE_HZ, TONES_RATE, writeTonesSigmf } from '../helpers/tones.js';
import { redisUrl, testRedis, uniquePrefix } from '../helpers/redis.js';
import { readUnitHash } from '../helpers/unit-hash.js';
import {
  ROOT, cli, startCoordinatorProcess, startWorkerProcess, submitJob, tokenHeaders, waitForJobEnd, type Proc,
} from '../helpers/processes.js';

const FIL_ARG = 'test/fixtures/setigen_sample_cband_DIAG_SGR_B2.fil'; // as a user types it, from the repository root
const SAH = fixturePath('seti_reference_work_unit.sah');

let coordinator: Proc | undefined;
let workers: Proc[] = [];
let url = '';
let prefix = '';

beforeAll(async () => {
  prefix = uniquePrefix('e2e-fft');
  const coord = await startCoordinatorProcess(redisUrl(), prefix);
  coordinator = coord;
  url = coord.url;
});

// Timeouts are generous: the workers compute at nice 19 on a machine other test files keep busy.
// Each test gets two fresh workers. A worker estimates a unit's run time from the speed it measured on
// the kind's earlier units, and fftscan's drift units (tiny, overhead-bound) make a spike unit look far
// too slow: a worker that has just done the filterbank job hands the reference unit back as unable to
// meet its deadline. Fresh workers keep each test about its own job.
beforeEach(() => {
  // Other test files keep the CPUs busy: the volunteer default (pause while other programs use more than
  // 25% of the cores) would stall these workers, so --suspend-cpu 0 turns it off.
  workers = [0, 1].map(() => startWorkerProcess(url, 1, ['--suspend-cpu', '0']));
});

afterEach(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
});

afterAll(async () => {
  await coordinator?.kill('SIGKILL');
});

/**
 * Every unit of the job is valid under the default policy: one result per unit, and the canonical one
 * passed its audit (the verifier recomputed blocks of it: all of them while its host was on probation).
 */
async function expectValidatedUnderAudit(jobId: string, unitsTotal: number): Promise<void> {
  const redis = testRedis();
  try {
    for (let u = 0; u < unitsTotal; u++) {
      const unit = await readUnitHash(redis, prefix, jobId, u);
      expect(unit.state, `unit ${u}`).toBe(UNIT_STATE.valid);
      expect(unit.quorum, `unit ${u}`).toBe(1);
      const canon = unit.replicas.find((r) => r.r === unit.canon)!;
      expect(canon.outcome, `unit ${u}`).toBe(OUTCOME.valid);
      expect(auditPassed(canon.audit), `unit ${u}: the canonical result's audit (${canon.audit})`).toBe(true);
    }
  } finally {
    redis.disconnect();
  }
}

const picture = (jobId: string, n: number, headers: Record<string, string> = tokenHeaders()) =>
  fetch(`${url}/api/jobs/${jobId}/pictures/${n}`, { headers });

async function expectSvg(jobId: string, n: number, c: Candidate): Promise<string> {
  const res = await picture(jobId, n);
  const body = await res.text();
  expect(res.status, body.slice(0, 300)).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  expect(res.headers.get('cache-control')).toMatch(/max-age=\d+, immutable/);
  expect(body.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(body.endsWith('</svg>')).toBe(true);
  expect(body.length).toBeLessThan(300_000);
  // The title names the candidate; the dashed red track marks it.
  expect(body).toContain(`#${n} ${c.frequencyHz.toFixed(4)} Hz, ${c.driftHzPerS.toFixed(4)} Hz/s`);
  expect(body).toContain('stroke="#ff3b30"');
  return body;
}

function expectCandidateShape(c: Candidate): void {
  expect(Object.keys(c).sort()).toEqual(expect.arrayContaining([
    'bandwidthHz', 'detections', 'driftErrHzPerS', 'driftHzPerS', 'endHz', 'endS', 'frequencyHz', 'snr', 'startHz', 'startS', 'threshold', 'timeS', 'type',
  ]));
  for (const k of ['frequencyHz', 'driftHzPerS', 'snr', 'timeS', 'startS', 'endS', 'startHz', 'endHz'] as const) expect(Number.isFinite(c[k]), k).toBe(true);
  expect(c.snr).toBeGreaterThan(c.threshold);
  expect(c.detections).toBeGreaterThanOrEqual(1);
  expect(['spike', 'drift', 'gaussian', 'pulse', 'triplet', 'autocorr']).toContain(c.type);
}

const track = (c: { frequencyHz: number; driftHzPerS: number; snr: number }) => [c.frequencyHz, c.driftHzPerS, c.snr];

describe('signal scan end to end', () => {
  it('scans the filterbank sample submitted with the CLI; drifts strongest first, with pictures', async () => {
    // The sample is noise (its strongest drift has SNR ~6.7), so a threshold of 6 makes a few candidates.
    const sub = await cli(['submit', 'fftscan', FIL_ARG, '--coordinator', url, '--threshold', '6', '--wait', '--json']);
    expect(sub.code, sub.stderr).toBe(0);
    const doc = JSON.parse(sub.stdout) as JobDoc;
    expect(doc).toMatchObject({ kind: 'fftscan', state: 'done', public: false });
    const result = doc.result as { candidates: Candidate[]; dropped: number; unitsMerged: number; failedUnits: number[] };
    expect(result).not.toHaveProperty('detections'); // only the setiathome preset lists every detection
    expect(result).toMatchObject({ dropped: 0, unitsMerged: doc.progress.unitsTotal, failedUnits: [] });
    const { candidates } = result;
    expect(Array.isArray(candidates)).toBe(true);
    expect(candidates.length).toBeGreaterThan(0);
    candidates.forEach(expectCandidateShape);
    for (const c of candidates) expect(c).toMatchObject({ type: 'drift', timeS: 0, detections: 1 });
    for (let i = 1; i < candidates.length; i++) expect(candidates[i - 1].snr).toBeGreaterThanOrEqual(candidates[i].snr);
    // The grid's answer is the Taylor search of the whole file (one unit covers its 1024 channels).
    const direct = taylorSearch(readFilterbank(new Uint8Array(readFileSync(join(ROOT, FIL_ARG)))), { maxDriftHzPerS: 10, snrThreshold: 6 });
    expect(candidates.map(track)).toEqual(direct.map(track));
    await expectValidatedUnderAudit(doc.id, doc.progress.unitsTotal);

    await expectSvg(doc.id, 0, candidates[0]);
    // Past the last candidate, and for someone who may not read this private job: a clear refusal.
    const past = await picture(doc.id, candidates.length);
    expect(past.status).toBe(404);
    expect(((await past.json()) as { error: { message: string } }).error.message)
      .toContain(`has no picture ${candidates.length} (its answer has ${candidates.length} candidate`);
    const stranger = await picture(doc.id, 0, {});
    expect(stranger.status).toBe(403);
    expect(((await stranger.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('private') });

    // A kind that draws no pictures says so (the key search's answer is a key, not a signal).
    const keys = await submitJob(url, {
      kind: 'keysearch',
      params: { algorithm: 'rc5-32/12/9', iv: '0123456789abcdef', plaintext: '54686520756e6b6e', ciphertext: '0011223344556677', start: '000000000000000000', count: 2 ** 16 },
    });
    const none = await picture(keys, 0);
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain('jobs of kind keysearch have no pictures');
    await fetch(`${url}/api/jobs/${keys}`, { method: 'DELETE', headers: tokenHeaders() });
  }, 300_000);

  it('finds the best official spike of the SETI@home reference unit (narrowed chirp grid)', async () => {
    // The full analysis is 2.7e12 FLOP. This one: FFT 131072 only, and chirp resolution 27 x 0.333, so
    // the grid step is 27 x 0.0018485 Hz/s and its 106th point is the official 2862nd (5.2905 Hz/s);
    // +-5.3 Hz/s is 213 chirps x 8 blocks, about 3 s per host. Every grid point is one of the official
    // client's, whose strongest spike at this length is the one we look for.
    const bytes = new Uint8Array(readFileSync(SAH));
    const up = await fetch(`${url}/api/data`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', ...tokenHeaders() }, body: bytes });
    expect(up.status).toBe(201);
    const { sha256 } = (await up.json()) as { sha256: string };
    expect(sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const id = await submitJob(url, {
      kind: 'fftscan', name: 'seti reference, narrowed',
      // Spikes only: the other four searches have their own tests (seti-reference.test.ts).
      params: { source: sahSource(bytes, sha256), fftSize: 131072, maxDrift: 5.3, chirpResolution: 0.333 * 27, detectors: ['spike'] },
    });
    const early = await picture(id, 0);
    expect(early.status).toBe(404);
    expect(((await early.json()) as { error: { message: string } }).error.message).toMatch(/pictures exist once it is done/);

    const doc = await waitForJobEnd(url, id, 240_000);
    expect(doc.state).toBe('done');
    const best = SETIATHOME_REFERENCE_SPIKES.reduce((a, b) => (b.snr > a.snr ? b : a));
    expect(best).toMatchObject({ frequencyHz: 1418918910.9886, driftHzPerS: 5.2905, snr: 23.7865 });
    const result = doc.result as { candidates: Candidate[]; detections: Array<Candidate & { signal?: number }> };
    const top = result.candidates[0];
    // The setiathome preset (the default for .sah) also lists the detections, each with its signal.
    expect(result.detections.length).toBeGreaterThanOrEqual(result.candidates.length);
    expect(result.detections.filter((d) => d.signal === 0).map((d) => d.snr)).toContain(top.snr);
    expectCandidateShape(top);
    const fs = sahSource(bytes, sha256).sampleRateHz;
    expect(top).toMatchObject({ type: 'spike', fftLength: 131072 });
    expect(Math.abs(top.frequencyHz - best.frequencyHz)).toBeLessThan(fs / 131072);
    expect(Math.abs(top.driftHzPerS - best.driftHzPerS)).toBeLessThan(0.0019);
    expect(Math.abs(top.snr / best.snr - 1)).toBeLessThan(0.01);
    await expectValidatedUnderAudit(id, doc.progress.unitsTotal);

    const svg = await expectSvg(id, 0, top);
    expect(svg).toContain('FFT 131072, de-chirped');
  }, 300_000);

  it('finds a seeded synthetic tone within one bin and one drift step', async () => {
    const fs = 65536, L = 16384, centre = 1.42e9;
    // Chirp resolution 1: the trial chirps are 16 Hz/s apart (one bin of drift across a block).
    const step = (1 * fs * fs) / (L * L);
    const tone = { offsetHz: 2344.4, driftHzPerS: -16, amplitude: 0.3 };
    const id = await submitJob(url, {
      kind: 'fftscan',
      params: {
        source: { format: 'synthetic', seed: 8, sampleRateHz: fs, centreFrequencyHz: centre, sampleCount: 1 << 20, signals: [tone] },
        fftSize: L, maxDrift: 20, chirpResolution: 1,
      },
    });
    const doc = await waitForJobEnd(url, id, 240_000);
    expect(doc.state).toBe('done');
    const { candidates } = doc.result as { candidates: Candidate[] };
    candidates.forEach(expectCandidateShape);
    const top = candidates[0];
    // Noise alone stays below the threshold (20): every candidate is the tone or its sidelobes.
    expect(top.snr).toBeGreaterThan(1000);
    expect(Math.abs(top.frequencyHz - (centre + tone.offsetHz))).toBeLessThanOrEqual(fs / L);
    expect(Math.abs(top.driftHzPerS - tone.driftHzPerS)).toBeLessThanOrEqual(step);
    await expectValidatedUnderAudit(id, doc.progress.unitsTotal);

    // No recording is stored: the coordinator regenerates the samples from the seed to draw it.
    await expectSvg(id, 0, top);
  }, 300_000);

  it('issue 15: three tones in a 64 s cf32 SigMF recording, --fft-size 65536 --max-drift 4, are three candidates', async () => {
    const meta = writeTonesSigmf();
    try {
      const sub = await cli(['submit', 'fftscan', meta, '--coordinator', url, '--fft-size', '65536', '--max-drift', '4', '--wait', '--json']);
      expect(sub.code, sub.stderr).toBe(0);
      const doc = JSON.parse(sub.stdout) as JobDoc;
      expect(doc).toMatchObject({ kind: 'fftscan', state: 'done' });
      const result = doc.result as { candidates: Candidate[]; dropped: number; detectionsFound: number };
      expect(result.detectionsFound).toBeGreaterThan(5000);
      expect(result.dropped).toBe(0);
      expect(result.candidates).toHaveLength(3);
      result.candidates.forEach(expectCandidateShape);
      for (const tone of TONES) {
        const c = result.candidates.find((x) => Math.abs(x.frequencyHz - TONES_CENTRE_HZ - tone.offsetHz) <= TONES_RATE / 65536);
        expect(c, `tone at ${tone.offsetHz} Hz`).toBeDefined();
        // Within one trial step (0.5 Hz/s); the steady tone says 0.
        expect(Math.abs(c!.driftHzPerS - tone.driftHzPerS)).toBeLessThanOrEqual(0.5);
      }
      await expectValidatedUnderAudit(doc.id, doc.progress.unitsTotal);
    } finally {
      rmSync(dirname(meta), { recursive: true, force: true });
    }
  }, 300_000);
});
