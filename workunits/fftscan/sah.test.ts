import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { decodeSah, parseSahHeader, sahDataBytes, sahSource, SahError } from './sah.js';

describe('SETI@home reference work unit', () => {
  const bytes = readFixture('seti_reference_work_unit.sah');

  it('parses the header', () => {
    const h = parseSahHeader(bytes);
    expect(h.nsamples).toBe(1048576);
    expect(h.sampleRateHz).toBe(9765.62);
    expect(h.baseHz).toBe(1418916015.62);
    expect(h.centreHz).toBe(1418920288.09);
    expect(h.ifftLen).toBe(8);
    expect(h.analysis.spikeThresh).toBe(22);
    expect(h.analysis.fftLengths).toEqual(Array.from({ length: 15 }, (_, i) => 8 << i));
    expect(h.analysis.chirps.map((c) => [c.limit, Math.max(...c.fftLengths)])).toEqual([[20, 131072], [50, 32768]]);
    const src = sahSource(bytes, 'f'.repeat(64));
    expect(src).toMatchObject({ format: 'sah', sampleCount: 1048576, centreFrequencyHz: 1418916015.62, negativeBandFraction: 1 / 16 });
  });

  it('decodes 1,048,576 two-bit samples with plausible statistics', () => {
    const x = decodeSah(bytes);
    expect(x.length).toBe(2 * 1048576);
    let sr = 0, si = 0, corr = 0, lag = 0, bad = 0;
    for (let i = 0; i < x.length; i += 2) {
      if (Math.abs(x[i]) !== 1 || Math.abs(x[i + 1]) !== 1) bad++;
      sr += x[i]; si += x[i + 1]; corr += x[i] * x[i + 1];
      if (i >= 2) lag += x[i] * x[i - 2];
    }
    const n = x.length / 2;
    expect(bad).toBe(0);
    // Random-looking +-1 samples: means, I/Q correlation and lag-1 correlation all near 0 (~1/sqrt(n)).
    for (const v of [sr / n, si / n, corr / n, lag / n]) expect(Math.abs(v)).toBeLessThan(0.01);
  });

  it('refuses a cut file as a whole, before any unit is made of it', () => {
    expect(sahDataBytes(bytes)).toBeGreaterThanOrEqual(1048576 / 4);
    const cut = bytes.subarray(0, 200_000); // the length a careless download left
    expect(() => sahSource(cut, '0'.repeat(64))).toThrow(expect.objectContaining({ code: 'SAH_DATA' }));
    expect(() => sahSource(cut, '0'.repeat(64))).toThrow(/the data holds 142863 bytes, 262144 needed for the 1048576 samples its header declares: the file is cut short \(200000 bytes\)/);
    const odd = new TextDecoder('latin1').decode(bytes).replace('<nsamples>1048576</nsamples>', '<nsamples>1048575</nsamples>');
    expect(() => sahSource(new Uint8Array(Buffer.from(odd, 'latin1')), '0'.repeat(64))).toThrow(/nsamples> 1048575 is not a positive multiple of 4/);
  });

  it('reports a cut file as data, not a crash', () => {
    expect(() => decodeSah(bytes.subarray(0, bytes.length / 2))).toThrow(SahError);
    expect(() => parseSahHeader(new TextEncoder().encode('<workunit></workunit>'))).toThrow(SahError);
  });
});
