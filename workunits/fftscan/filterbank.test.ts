import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { FilterbankError, filterbankLayout, parseFilterbankHeader, readFilterbank } from './filterbank.js';


/** A minimal SIGPROC writer, for the error and 8-bit cases. */
function writeFil(fields: Array<[string, 'int' | 'double' | 'string', number | string]>, payload: Uint8Array, bigEndian = false): Uint8Array {
  const parts: number[] = [];
  const le = !bigEndian;
  const int = (v: number) => {
    const b = new DataView(new ArrayBuffer(4));
    b.setInt32(0, v, le);
    parts.push(...new Uint8Array(b.buffer));
  };
  const str = (s: string) => {
    int(s.length);
    for (const ch of s) parts.push(ch.charCodeAt(0));
  };
  str('HEADER_START');
  for (const [k, kind, v] of fields) {
    str(k);
    if (kind === 'int') int(v as number);
    else if (kind === 'string') str(v as string);
    else {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, v as number, le);
      parts.push(...new Uint8Array(b.buffer));
    }
  }
  str('HEADER_END');
  const out = new Uint8Array(parts.length + payload.length);
  out.set(parts);
  out.set(payload, parts.length);
  return out;
}

const BASIC: Array<[string, 'int' | 'double' | 'string', number | string]> = [
  ['source_name', 'string', 'TEST'],
  ['fch1', 'double', 1420.0],
  ['foff', 'double', -0.001],
  ['tsamp', 'double', 0.5],
  ['nchans', 'int', 4],
  ['nbits', 'int', 8],
  ['nifs', 'int', 1],
];

describe('filterbank', () => {
  it('reads the setigen GBT sample with its published statistics', () => {
    const bytes = readFixture('setigen_sample_cband_DIAG_SGR_B2.fil');
    const { header, dataOffset } = parseFilterbankHeader(bytes);
    expect(dataOffset).toBe(394);
    expect(header.source_name).toBe('DIAG_SGR_B2');
    expect(header.nbits).toBe(32);
    expect(header.fch1).toBeCloseTo(6663.99999987, 8);
    const spec = readFilterbank(bytes);
    expect([spec.nTime, spec.nChan]).toEqual([32, 1024]);
    expect(spec.dfHz).toBeCloseTo(-1.3969839, 6);
    expect(spec.dtS).toBeCloseTo(1.4316558, 6);
    expect(spec.fch1Hz).toBeCloseTo(6663.99999987e6, 0);
    let sum = 0;
    let min = Infinity;
    for (const v of spec.data) {
      sum += v;
      min = Math.min(min, v);
    }
    const mean = sum / spec.data.length;
    let ss = 0;
    for (const v of spec.data) ss += (v - mean) ** 2;
    const std = Math.sqrt(ss / spec.data.length);
    // Published numbers came from a float32 accumulation, hence the 1e-6 relative slack.
    expect(Math.abs(mean - 484170.38) / 484170.38).toBeLessThan(1e-6);
    expect(Math.abs(std - 253477.6) / 253477.6).toBeLessThan(1e-6);
    expect(min).toBeCloseTo(15350.96, 2);
  });

  it('reads a window of spectra', () => {
    const bytes = readFixture('setigen_sample_cband_DIAG_SGR_B2.fil');
    const all = readFilterbank(bytes);
    const part = readFilterbank(bytes, { startSpectrum: 5, nSpectra: 3 });
    expect(part.nTime).toBe(3);
    expect(Array.from(part.data)).toEqual(Array.from(all.data.subarray(5 * 1024, 8 * 1024)));
    expect(() => readFilterbank(bytes, { startSpectrum: 30, nSpectra: 3 })).toThrow(/file has 32/);
  });

  it('reads 8-bit data, little- and big-endian headers', () => {
    const payload = new Uint8Array([0, 1, 2, 255, 10, 20, 30, 40]);
    for (const be of [false, true]) {
      const spec = readFilterbank(writeFil(BASIC, payload, be));
      expect(Array.from(spec.data)).toEqual([0, 1, 2, 255, 10, 20, 30, 40]);
      expect(spec.nTime).toBe(2);
      expect(spec.fch1Hz).toBe(1420e6);
      expect(spec.dfHz).toBeCloseTo(-1000, 9);
    }
  });

  it('gives clear errors for garbage and truncation', () => {
    const good = writeFil(BASIC, new Uint8Array(8));
    const code = (b: Uint8Array) => {
      try {
        readFilterbank(b);
      } catch (e) {
        expect(e).toBeInstanceOf(FilterbankError);
        return (e as FilterbankError).code;
      }
      return 'no error';
    };
    expect(code(new TextEncoder().encode('SIMPLE  =                    T'))).toBe('FIL_BAD_HEADER');
    expect(code(good.subarray(0, 40))).toBe('FIL_TRUNCATED');
    expect(code(good.subarray(0, good.length - 3))).toBe('FIL_TRUNCATED');
    expect(code(writeFil([['bogus_key', 'int', 1], ...BASIC], new Uint8Array(8)))).toBe('FIL_BAD_HEADER');
    expect(code(writeFil(BASIC.filter(([k]) => k !== 'tsamp'), new Uint8Array(8)))).toBe('FIL_BAD_HEADER');
    expect(() => readFilterbank(writeFil([['bogus_key', 'int', 1]], new Uint8Array(0)))).toThrow(/unknown header keyword "bogus_key"/);
    const fakeStart = writeFil(BASIC, new Uint8Array(8));
    fakeStart[4] = 'X'.charCodeAt(0);
    expect(code(fakeStart)).toBe('FIL_NOT_FILTERBANK');
  });

  it('checks a file whole from its header and size: data present, whole spectra, a supported nbits', () => {
    const header = (nchans: number, nbits: number) => writeFil([...BASIC.filter(([k]) => k !== 'nchans' && k !== 'nbits'), ['nchans', 'int', nchans], ['nbits', 'int', nbits]], new Uint8Array(0));
    const layout = (h: Uint8Array, dataBytes: number) => {
      try {
        return filterbankLayout(h, h.length + dataBytes).nTime;
      } catch (e) {
        expect(e).toBeInstanceOf(FilterbankError);
        return `${(e as FilterbankError).code}: ${(e as Error).message}`;
      }
    };
    expect(layout(header(4, 32), 3 * 16)).toBe(3);
    expect(layout(header(4, 32), 0)).toMatch(/^FIL_TRUNCATED: .*header with no data/);
    expect(layout(header(4, 32), 20)).toMatch(/^FIL_TRUNCATED: data is 20 bytes, not a whole number of spectra \(nchans=4 x nifs=1 x 32 bits = 16 bytes/);
    expect(layout(header(2 ** 31 - 1, 32), 64)).toMatch(/^FIL_TRUNCATED: data is 64 bytes, less than one spectrum \(nchans=2147483647 x nifs=1 x 32 bits = 8589934588 bytes/);
    expect(layout(header(4, 7), 28)).toBe('FIL_UNSUPPORTED: nbits=7 is not supported (8, 16, 32)');
    // Only the header's bytes are needed: the size says the rest.
    const h = header(4, 8);
    expect(filterbankLayout(h, h.length + 4 * 1000)).toMatchObject({ nTime: 1000, dataOffset: h.length });
  });
});
