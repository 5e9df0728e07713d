/**
 * The recording of issue 15's measured case: 64 s of cf32 SigMF at 65,536 samples/s, three tones in
 * seeded noise (one steady, one drifting up 0.9 Hz/s, one down 1.1 Hz/s). Scanned with --fft-size
 * 65536 --max-drift 4 it once gave 2,000 candidates; grouped, it gives three.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSynthetic } from '../../workunits/fftscan/synthetic.js';

export const TONES_RATE = 65_536;
export const TONES_SECONDS = 64;
export const TONES_CENTRE_HZ = 1_420_000_000;

/** Offsets from the centre at t = 0 (Hz), drifts (Hz/s), amplitudes (noise has unit power). */
export const TONES = [
  { offsetHz: -12_000.3, driftHzPerS: 0, amplitude: 0.06 },
  { offsetHz: 3_000.6, driftHzPerS: 0.9, amplitude: 0.04 },
  { offsetHz: 20_000.2, driftHzPerS: -1.1, amplitude: 0.025 },
];

/** The samples as cf32_le bytes. */
export function tonesData(seed = 15): Uint8Array {
  const n = TONES_RATE * TONES_SECONDS;
  const iq = generateSynthetic({
    seed, sampleRate: TONES_RATE, centerFrequencyHz: TONES_CENTRE_HZ, nSamples: n, noiseStd: Math.SQRT1_2,
    signals: TONES.map((t) => ({ type: 'chirp' as const, frequencyHz: t.offsetHz, driftHzPerS: t.driftHzPerS, amplitude: t.amplitude })),
  }, 0, n);
  const bytes = new Uint8Array(4 * iq.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < iq.length; i++) view.setFloat32(4 * i, iq[i], true);
  return bytes;
}

/** Writes tones.sigmf-meta and tones.sigmf-data into a fresh temporary folder; returns the meta path. */
export function writeTonesSigmf(data = tonesData()): string {
  const dir = mkdtempSync(join(tmpdir(), 'idlegrid-tones-'));
  writeFileSync(join(dir, 'tones.sigmf-data'), data);
  writeFileSync(join(dir, 'tones.sigmf-meta'), JSON.stringify({
    global: { 'core:datatype': 'cf32_le', 'core:sample_rate': TONES_RATE, 'core:version': '1.0.0', 'core:description': 'issue 15: three tones in noise' },
    captures: [{ 'core:sample_start': 0, 'core:frequency': TONES_CENTRE_HZ }],
    annotations: [],
  }));
  return join(dir, 'tones.sigmf-meta');
}
