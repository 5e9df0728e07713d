import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import type { Answer } from './assemble.js';
import kernel from './kernel.js';
import fftscan from './kind.js';
import { filSource, type FftscanParams } from './params.js';
import { basebandWindow, filWindow, PICTURE_MARGIN_CHANNELS, picture, pictureInput } from './picture.js';
import { SETIATHOME_REFERENCE_SPIKES } from './presets.js';
import { sahSource } from './sah.js';
import { singleSignal } from './grouping.js';
import type { FilSource } from './types.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** plan -> every unit through the kernel -> assemble, as the grid does it (one host). */
/** An answer holding one candidate. */
const answerWith = (c: Answer['candidates'][number]): Answer => ({
  candidates: [c], best: {}, dropped: 0, detectionsFound: 1, droppedDetections: 0, unitsMerged: 1, failedUnits: [],
});

function answerOf(params: unknown, input?: Uint8Array): { p: FftscanParams; answer: Answer } {
  const p = fftscan.params.parse(params);
  const plan = fftscan.plan(p);
  if (!plan.ok) throw new Error(plan.error.message);
  const results = [];
  for (let i = 0; i < plan.value.unitsTotal; i++) {
    const s = kernel.init(fftscan.unit(p, plan.value, i), input);
    while (!kernel.step(s, 256));
    results.push({ index: i, result: kernel.result(s) });
  }
  return { p, answer: fftscan.assemble(p, plan.value, results, []) };
}

// waterfall.ts's fixed layout: plot 550 x 325 px from (70, 30); cells are at most 128 columns x 64 rows.
const PLOT = { left: 70, top: 30, width: 550 };

/** Checks every picture must pass, and returns its body. */
function checkSvg(body: string): string {
  expect(body.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(body.endsWith('</svg>')).toBe(true);
  expect(body.match(/<svg\b/g)).toHaveLength(1);
  // Well formed enough for a browser: every opened element is closed or self-closed.
  const open = (body.match(/<(g|svg|text|defs|clipPath)\b/g) ?? []).length;
  const closed = (body.match(/<\/(g|svg|text|defs|clipPath)>/g) ?? []).length;
  expect(closed).toBe(open);
  expect(body).not.toMatch(/NaN|Infinity|undefined/);
  expect(body.length).toBeLessThan(300_000);
  return body;
}

/** The candidate's track as drawn: the first dashed line in the marks group. */
function markLine(body: string): { x1: number; x2: number } {
  const m = /stroke="#ff3b30"[^>]*>\n<line x1="([-\d.]+)" y1="30" x2="([-\d.]+)" y2="355"\/>/.exec(body);
  expect(m, 'the candidate is marked').not.toBeNull();
  return { x1: Number(m![1]), x2: Number(m![2]) };
}

/** The drawn cells (column, row) per colour, dimmest colour first (waterfall.ts emits paths in level order). */
function colours(body: string): Array<{ green: number; cells: Array<{ col: number; row: number }> }> {
  return [...body.matchAll(/<path fill="#[0-9a-f]{2}([0-9a-f]{2})[0-9a-f]{2}" d="([^"]+)"\/>/g)].map((m) => ({
    green: parseInt(m[1], 16),
    cells: [...m[2].matchAll(/M(\d+) (\d+)h(\d+)/g)].flatMap((r) =>
      Array.from({ length: Number(r[3]) }, (_, i) => ({ col: Number(r[1]) + i, row: Number(r[2]) }))),
  }));
}

/** Cells of the brightest colour drawn (the largest values). */
const brightest = (body: string) => colours(body).at(-1)!.cells;

/** Cells in the upper half of the colour scale: viridis's green rises with the level, 148 at level 16 of 32. */
const upperHalf = (body: string) => colours(body).filter((c) => c.green >= 148).flatMap((c) => c.cells);

describe('fftscan pictures', () => {
  it('a synthetic answer: regenerated from the seed, the drifting tone drawn where the mark says', () => {
    const fs = 65536, L = 16384, centre = 1.42e9;
    const source = {
      format: 'synthetic', seed: 7, sampleRateHz: fs, centreFrequencyHz: centre, sampleCount: 1 << 20,
      signals: [{ offsetHz: 2344.4, driftHzPerS: -16, amplitude: 0.3 }],
    };
    const { p, answer } = answerOf({ source, fftSize: L, maxDrift: 20, chirpResolution: 1 });
    const c = answer.candidates[0];
    expect(Math.abs(c.frequencyHz - (centre + 2344.4))).toBeLessThanOrEqual(fs / L);
    // The track fitted through the tone's spectra: -16 Hz/s to far better than the 16 Hz/s trial step.
    expect(c.driftHzPerS).toBeCloseTo(-16, 6);

    expect(pictureInput(p, answer, 0)).toBeUndefined();
    const pic = picture(p, answer, 0, undefined)!;
    expect(pic.contentType).toBe('image/svg+xml');
    const body = checkSvg(pic.body);
    expect(picture(p, answer, 0, undefined)!.body).toBe(body);
    expect(body).toContain(`#0 ${c.frequencyHz.toFixed(4)} Hz, -16.0000 Hz/s, score ${c.snr.toFixed(2)}, FFT 16384`);
    expect(body).not.toContain('de-chirped'); // one bin of drift per block: the raw spectra show the slope

    // The track: 64 rows a quarter block apart drift by 64 * 4096 / fs * 16 Hz = 64 Hz = 16 bins, so the
    // plot spans 16 + 2 * margin + 1 channels; the mark runs from the first row's frequency down by 16 bins.
    const w = basebandWindow(p, c);
    expect(w).toMatchObject({ fftLength: L, hop: L / 4, rows: 64, dechirp: false });
    const bin = fs / L;
    const width = 16 + 2 * PICTURE_MARGIN_CHANNELS + 1;
    const { x1, x2 } = markLine(body);
    expect(x1 - x2).toBeCloseTo((16 / (width)) * PLOT.width, 0);
    // The brightest cells lie on the track: column of f(t) = f0 + drift * t, t at each row's middle.
    const tTop = (w.from + L / 2 - w.hop / 2) / fs;
    const kStart = Math.round((c.frequencyHz + c.driftHzPerS * tTop - centre) / bin);
    const lo = kStart - 16 - PICTURE_MARGIN_CHANNELS;
    expect(colours(body).length).toBeGreaterThan(10);
    const cells = upperHalf(body);
    expect(cells.length).toBeGreaterThan(20);
    for (const { col, row } of cells) {
      const f = 2344.4 - 16 * (tTop + ((row + 0.5) * w.hop) / fs);
      const expected = Math.floor(((f / bin - lo) * 128) / width);
      expect(Math.abs(col - expected)).toBeLessThanOrEqual(1);
    }
    expect(picture(p, answer, answer.candidates.length, undefined)).toBeUndefined();
    expect(pictureInput(p, answer, -1)).toBeUndefined();
  });

  it('the .fil sample: the range from its header, the track of the strongest drift marked', () => {
    const bytes = readFixture('setigen_sample_cband_DIAG_SGR_B2.fil');
    const source = filSource(bytes, sha(bytes));
    const { p, answer } = answerOf({ source, threshold: 6 }, bytes);
    expect(answer.candidates.length).toBeGreaterThan(0);
    const c = answer.candidates[0];
    const ref = pictureInput(p, answer, 0)!;
    const w = filWindow(source, c);
    expect(w.withHeader).toBe(true);
    expect(ref).toEqual({ sha256: source.sha256, offset: 0, length: w.length });
    expect(ref.length).toBeLessThanOrEqual(bytes.length);
    expect(w.rows).toBe(32);
    // Channels from the track's ends, with the margin each side (clipped to the band).
    const ch = (hz: number) => Math.round((hz - source.fch1Hz) / source.dfHz);
    const ends = [ch(c.frequencyHz), ch(c.frequencyHz + c.driftHzPerS * 32 * source.dtS)];
    expect(w.chanFrom).toBe(Math.max(0, Math.min(...ends) - PICTURE_MARGIN_CHANNELS));
    expect(w.chanTo).toBe(Math.min(1024, Math.max(...ends) + PICTURE_MARGIN_CHANNELS + 1));

    const slice = bytes.subarray(ref.offset, ref.offset + ref.length);
    const body = checkSvg(picture(p, answer, 0, slice)!.body);
    expect(picture(p, answer, 0, slice.slice())!.body).toBe(body);
    expect(body).toContain(`#0 ${c.frequencyHz.toFixed(4)} Hz, ${c.driftHzPerS.toFixed(4)} Hz/s, SNR ${c.snr.toFixed(2)}`);
    // The mark starts at the candidate's channel: channels ascend across the plot, the file's descend.
    const width = w.chanTo - w.chanFrom;
    const fLow = source.fch1Hz + (w.chanTo - 1) * source.dfHz;
    const half = ((width - 1) / 2 + 0.5) * Math.abs(source.dfHz);
    const x = PLOT.left + ((c.frequencyHz - fLow + 0.5 * Math.abs(source.dfHz)) / (2 * half)) * PLOT.width;
    expect(markLine(body).x1).toBeCloseTo(x, 0);
    expect(() => picture(p, answer, 0, slice.subarray(1))).toThrow(/needs \d+ bytes/);
  });

  it('a filterbank too wide for its header to fit in the read: the channels alone, one row', () => {
    const nChan = 2 ** 25; // 128 MiB per spectrum
    const source: FilSource = {
      format: 'fil', sha256: 'e'.repeat(64), dataOffset: 400, nTime: 4, nChan, fch1Hz: 8e9, dfHz: -2, dtS: 1, nbits: 32,
    };
    const at = 2 ** 24 + 5;
    const c = singleSignal({ frequencyHz: 8e9 - 2 * at, driftHzPerS: 0, snr: 30, timeS: 0, type: 'drift' }, 25, 0);
    const answer = answerWith(c);
    const p = fftscan.params.parse({ source });
    const ref = pictureInput(p, answer, 0)!;
    const width = 2 * PICTURE_MARGIN_CHANNELS + 1;
    expect(ref).toEqual({ sha256: source.sha256, offset: 400 + (at - PICTURE_MARGIN_CHANNELS) * 4, length: width * 4 });
    const values = new Float32Array(width).map((_, j) => (j === PICTURE_MARGIN_CHANNELS ? 100 : 1 + (j % 7) / 7));
    const body = checkSvg(picture(p, answer, 0, new Uint8Array(values.buffer))!.body);
    const cells = brightest(body);
    expect(cells).toEqual([{ col: Math.floor((PICTURE_MARGIN_CHANNELS * 128) / width), row: 0 }]);
  });

  it('the reference work unit: de-chirped at the best official spike, the spike on the mark', () => {
    const bytes = readFixture('seti_reference_work_unit.sah');
    const best = SETIATHOME_REFERENCE_SPIKES.reduce((a, b) => (b.snr > a.snr ? b : a));
    const p = fftscan.params.parse({ source: sahSource(bytes, sha(bytes)), fftSize: 131072 });
    // Our search puts this spike in the first block (samples 0 .. 131071).
    const c = singleSignal({ ...best, timeS: 65536 / (p.source as { sampleRateHz: number }).sampleRateHz, type: 'spike' }, 22, 13.4);
    const answer = answerWith(c);
    expect(pictureInput(p, answer, 0)).toEqual({ sha256: sha(bytes), offset: 0, length: bytes.length });
    const body = checkSvg(picture(p, answer, 0, bytes)!.body);
    expect(body).toContain('FFT 131072, de-chirped');
    const { x1, x2 } = markLine(body);
    expect(x1).toBe(x2);
    // 1,048,576 samples hold 29 rows a quarter block apart; the brightest cell is the spike, top row.
    const w = basebandWindow(p, c);
    expect(w).toMatchObject({ from: 0, rows: 29, dechirp: true });
    const cells = brightest(body);
    expect(cells).toHaveLength(1);
    expect(cells[0].row).toBe(0);
    expect(Math.abs(70 + ((cells[0].col + 0.5) / 128) * PLOT.width - x1)).toBeLessThan(PLOT.width / 128);
  });
});
