import { describe, expect, it } from 'vitest';
import { readFixture } from '../../test/helpers/fixtures.js';
import { readFilterbank } from './filterbank.js';
import { addNoise, injectSetigen } from './synthetic.js';
import { taylorSearch } from './taylor.js';
import type { Spectrogram } from './types.js';
import { waterfallSvg } from './waterfall.js';


describe('waterfallSvg', () => {
  it('draws a self-contained, deterministic, bounded SVG with the candidate track', () => {
    const spec: Spectrogram = { data: new Float32Array(32 * 4096), nTime: 32, nChan: 4096, fch1Hz: 1.5e9, dfHz: -3, dtS: 10 };
    addNoise(spec, { seed: 1, mean: 10, std: 1 });
    const f0 = spec.fch1Hz + 2000 * spec.dfHz;
    injectSetigen(spec, { fStartHz: f0, driftHzPerS: -0.2, level: 5, fwhmHz: 6, profile: 'constant' });
    const [hit] = taylorSearch(spec, { maxDriftHzPerS: 1, snrThreshold: 25 });
    expect(hit).toBeDefined();
    const opts = { centerHz: f0, halfWidthHz: 6000, title: 'drift <test> & "quotes"', marks: [hit] };
    const svg = waterfallSvg(spec, opts);
    expect(svg).toBe(waterfallSvg(spec, opts));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/href|<image|url\((?!#)/);
    expect(svg).toContain('drift &#60;test&#62; &#38; &#34;quotes&#34;');
    expect(svg.length).toBeLessThan(200_000);
    // The track starts at the candidate's frequency: x of offset (hit - centre) on a 550-px-wide axis.
    const x0 = (70 + ((hit.frequencyHz - f0 + 6000) / 12000) * 550).toFixed(1);
    expect(svg).toContain(`<line x1="${x0}" y1="30"`);
    expect((svg.match(/<path fill=/g) ?? []).length).toBeGreaterThan(5);
  });

  it('plots the real filterbank sample (descending channels) within size', () => {
    const spec = readFilterbank(readFixture('setigen_sample_cband_DIAG_SGR_B2.fil'));
    const centre = spec.fch1Hz + 512 * spec.dfHz;
    const svg = waterfallSvg(spec, { centerHz: centre, halfWidthHz: 700, title: 'DIAG_SGR_B2' });
    expect(svg.length).toBeLessThan(200_000);
    expect(svg).toContain('>-500</text>');
    expect(svg).toContain('>500</text>');
    expect(svg).toContain('>40</text>'); // time axis reaches 32 x 1.43 s
  });
});
