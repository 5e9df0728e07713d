import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { decodeSamples, MAX_CHANNELS, parseSigmfMeta, SigmfError, sigmfSampleCount, sigmfSource } from './sigmf.js';


/** Test-side encoder: writes components with DataView, independently of the decoder. */
function encode(values: number[][], type: string, numChannels: number): Uint8Array {
  const m = /^([rc])([fiu])(\d+)(?:_(le|be))?$/.exec(type)!;
  const bits = Number(m[3]);
  const comps = m[1] === 'c' ? 2 : 1;
  const le = m[4] !== 'be';
  const n = values[0].length / comps;
  const cb = bits / 8;
  const buf = new DataView(new ArrayBuffer(n * numChannels * comps * cb));
  let p = 0;
  for (let k = 0; k < n; k++) {
    for (let ch = 0; ch < numChannels; ch++) {
      for (let c = 0; c < comps; c++, p += cb) {
        const v = values[ch][k * comps + c];
        const setter = `set${m[2] === 'f' ? 'Float' : m[2] === 'i' ? 'Int' : 'Uint'}${bits}` as 'setInt16';
        if (bits === 8) (buf[setter] as (o: number, v: number) => void).call(buf, p, v);
        else buf[setter](p, v, le);
      }
    }
  }
  return new Uint8Array(buf.buffer);
}

describe('SigMF', () => {
  it('reads the official logo recording and its hash matches', () => {
    const bytes = readFixture('sigmf_logo.sigmf-data');
    const meta = parseSigmfMeta(new TextDecoder().decode(readFixture('sigmf_logo.sigmf-meta')));
    expect(meta).toMatchObject({ datatype: 'ri16_le', sampleRate: 48000, numChannels: 2, isComplex: false, bytesPerSample: 2, centerFrequencyHz: 0 });
    expect(meta.annotations.map((a) => [a.sampleStart, a.sampleCount, a.comment])).toEqual([
      [6000, 42000, 'logo warmup'],
      [48000, 138000, 'logo spinup'],
      [186000, 96000, 'logo steady'],
    ]);
    expect(meta.annotations[0].freqLowerEdgeHz).toBe(-22000);
    expect(createHash('sha512').update(bytes).digest('hex')).toBe(meta.sha512);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const ch of [0, 1]) {
      const iq = decodeSamples(bytes, meta.datatype, ch, meta.numChannels);
      expect(iq.length / 2 / meta.sampleRate).toBe(6);
      for (const k of [0, 1, 6000, 100_000, 287_999]) {
        expect(iq[2 * k]).toBe(view.getInt16((2 * k + ch) * 2, true) / 32768);
        expect(iq[2 * k + 1]).toBe(0);
      }
    }
  });

  it('round-trips every datatype, multi-channel', () => {
    const cases: Array<[string, (i: number) => number, (v: number) => number]> = [
      ['cf32_le', (i) => Math.fround(Math.sin(i) * 3), (v) => v],
      ['cf32_be', (i) => Math.fround(Math.cos(i)), (v) => v],
      ['cf64_le', (i) => Math.fround(i / 7), (v) => v],
      ['rf32_le', (i) => Math.fround(-i / 3), (v) => v],
      ['ci16_le', (i) => ((i * 977) % 65536) - 32768, (v) => v / 32768],
      ['ci16_be', (i) => ((i * 331) % 65536) - 32768, (v) => v / 32768],
      ['ri16_le', (i) => ((i * 13) % 65536) - 32768, (v) => v / 32768],
      ['ci32_le', (i) => i * 123457 - 2 ** 31, (v) => v / 2 ** 31],
      ['ci8', (i) => (i % 256) - 128, (v) => v / 128],
      ['ri8', (i) => ((i * 7) % 256) - 128, (v) => v / 128],
      ['cu8', (i) => i % 256, (v) => (v - 128) / 128],
      ['cu16_le', (i) => (i * 4099) % 65536, (v) => (v - 32768) / 32768],
    ];
    for (const [type, gen, expected] of cases) {
      const complex = type.startsWith('c');
      const n = 300;
      const chans = [0, 1, 2].map((ch) => Array.from({ length: n * (complex ? 2 : 1) }, (_, i) => gen(i + ch * 1000)));
      const bytes = encode(chans, type, 3);
      for (const ch of [0, 2]) {
        const iq = decodeSamples(bytes, type, ch, 3);
        expect(iq.length).toBe(2 * n);
        const want = new Float32Array(2 * n);
        for (let k = 0; k < n; k++) {
          want[2 * k] = expected(chans[ch][complex ? 2 * k : k]);
          want[2 * k + 1] = complex ? expected(chans[ch][2 * k + 1]) : 0;
        }
        expect(Array.from(iq), type).toEqual(Array.from(want));
      }
    }
  });

  it('fails clearly', () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SigmfError);
        return (e as SigmfError).code + ': ' + (e as Error).message;
      }
      return 'no error';
    };
    expect(err(() => decodeSamples(new Uint8Array(4), 'cf16_le'))).toMatch(/UNSUPPORTED_DATATYPE.*"cf16_le"/);
    expect(err(() => decodeSamples(new Uint8Array(4), 'ci16'))).toMatch(/UNSUPPORTED_DATATYPE.*"ci16"/);
    expect(err(() => decodeSamples(new Uint8Array(4), 'ci8_le'))).toMatch(/UNSUPPORTED_DATATYPE/);
    expect(err(() => decodeSamples(new Uint8Array(5), 'ci16_le'))).toMatch(/BAD_DATA.*not a whole number/);
    expect(err(() => decodeSamples(new Uint8Array(8), 'ci16_le', 2, 2))).toMatch(/BAD_DATA.*channel 2/);
    expect(err(() => parseSigmfMeta('{'))).toMatch(/BAD_JSON/);
    expect(err(() => parseSigmfMeta('{"global":{"core:sample_rate":1}}'))).toMatch(/MISSING_FIELD.*datatype/);
    expect(err(() => parseSigmfMeta('{"global":{"core:datatype":"cq8","core:sample_rate":1}}'))).toMatch(/UNSUPPORTED_DATATYPE.*"cq8"/);
    expect(err(() => parseSigmfMeta('{"global":{"core:datatype":"cu8"}}'))).toMatch(/sample_rate/);
    const m = parseSigmfMeta('{"global":{"core:datatype":"cu8","core:sample_rate":2.4e6},"captures":[{"core:sample_start":0,"core:frequency":1.42e9}]}');
    expect(m).toMatchObject({ centerFrequencyHz: 1.42e9, numChannels: 1, bytesPerSample: 2, isComplex: true, annotations: [] });
  });

  it('checks a dataset whole against its metadata: at least one sample, whole sample frames, a sane channel count', () => {
    const meta = (extra = '') => parseSigmfMeta(`{"global":{"core:datatype":"ci16_le","core:sample_rate":1e6${extra}}}`);
    const count = (bytes: number, extra = '') => {
      try {
        return sigmfSampleCount(meta(extra), bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(SigmfError);
        return `${(e as SigmfError).code}: ${(e as Error).message}`;
      }
    };
    expect(count(4000)).toBe(1000);
    expect(count(0)).toBe('SIGMF_BAD_DATA: the dataset has 0 bytes, less than one of its 4-byte samples (ci16_le x 1 channel)');
    expect(count(3)).toMatch(/^SIGMF_BAD_DATA: the dataset has 3 bytes/);
    expect(count(4002)).toMatch(/^SIGMF_BAD_DATA: the dataset's 4002 bytes are not a whole number of 4-byte samples/);
    expect(count(4000, ',"core:num_channels":3')).toMatch(/^SIGMF_BAD_DATA: .*12-byte samples \(ci16_le x 3 channels\)/);
    expect(() => meta(',"core:num_channels":1e8')).toThrow(new RegExp(`core:num_channels 100000000 is more than ${MAX_CHANNELS}`));
    expect(sigmfSource(meta(), 4000, 'a'.repeat(64))).toMatchObject({ format: 'sigmf', sampleCount: 1000, datatype: 'ci16_le', numChannels: 1, channel: 0, sampleRateHz: 1e6 });
  });
});
