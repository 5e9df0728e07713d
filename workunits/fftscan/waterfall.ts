/**
 * A waterfall plot of part of a spectrogram as a small self-contained SVG: frequency offset (Hz) across,
 * time (s) down, power on a viridis-like scale, candidate tracks drawn over it. Output depends only on
 * the inputs (fixed number formatting, no dates or ids), so it can be stored and compared.
 */
import type { Detection, Spectrogram } from './types.js';

export interface WaterfallOptions {
  centerHz: number;
  halfWidthHz: number;
  title: string;
  /** Candidates whose tracks f(t) = frequencyHz + driftHzPerS * t are drawn (t from the first row). */
  marks?: Detection[];
  /** Caps on the drawn grid; cells are downsampled to fit (defaults 128 x 64, which keeps the SVG < 200 KB). */
  maxColumns?: number;
  maxRows?: number;
}

// Nine samples of matplotlib's viridis (public colour map), interpolated linearly between them.
const VIRIDIS: Array<[number, number, number]> = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];
const LEVELS = 32;

function colour(level: number): string {
  const x = (level / (LEVELS - 1)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return '#' + [0, 1, 2].map((k) => Math.round(VIRIDIS[i][k] + f * (VIRIDIS[i + 1][k] - VIRIDIS[i][k])).toString(16).padStart(2, '0')).join('');
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/\.?0+$/, ''));

/** Tick values: a 1-2-5 step giving about five ticks over [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export function waterfallSvg(spec: Spectrogram, opts: WaterfallOptions): string {
  const { nTime, nChan, fch1Hz, dfHz, dtS, data } = spec;
  const lo = opts.centerHz - opts.halfWidthHz;
  const hi = opts.centerHz + opts.halfWidthHz;
  // Channels whose centres fall in the window, listed in ascending frequency whatever the file order.
  const a = Math.ceil((lo - fch1Hz) / dfHz - 1e-9);
  const b = Math.floor((hi - fch1Hz) / dfHz + 1e-9);
  const cFirst = Math.max(0, Math.min(a, b));
  const cLast = Math.min(nChan - 1, Math.max(a, b));
  const chans: number[] = [];
  for (let c = cFirst; c <= cLast; c++) chans.push(c);
  if (dfHz < 0) chans.reverse();

  const cols = Math.max(1, Math.min(chans.length, opts.maxColumns ?? 128));
  const rows = Math.max(1, Math.min(nTime, opts.maxRows ?? 64));
  // Max, not mean, per cell: a narrowband line one channel wide must stay visible after downsampling.
  const cells = new Float64Array(cols * rows).fill(-Infinity);
  for (let t = 0; t < nTime; t++) {
    const r = Math.floor((t * rows) / nTime);
    for (let k = 0; k < chans.length; k++) {
      const cIdx = r * cols + Math.floor((k * cols) / chans.length);
      const v = data[t * nChan + chans[k]];
      if (v > cells[cIdx]) cells[cIdx] = v;
    }
  }
  const finite = Array.from(cells).filter(Number.isFinite).sort((x, y) => x - y);
  const vLo = finite.length ? finite[Math.floor(finite.length * 0.02)] : 0;
  const vHi = finite.length ? finite[finite.length - 1] : 1;

  const W = 640;
  const H = 400;
  const L = 70;
  const T = 30;
  const R = 20;
  const B = 45;
  const pw = W - L - R;
  const ph = H - T - B;
  const duration = nTime * dtS;
  const xOf = (hz: number) => L + ((hz - lo) / (hi - lo)) * pw;
  const yOf = (s: number) => T + (s / duration) * ph;

  const levelOf = (v: number) =>
    Number.isFinite(v) ? Math.max(0, Math.min(LEVELS - 1, Math.floor(((v - vLo) / (vHi - vLo || 1)) * (LEVELS - 1)))) : 0;
  // One path per colour level, in cell units scaled by a transform, runs of equal level merged: far
  // smaller than a rect per cell.
  const paths: string[][] = Array.from({ length: LEVELS }, () => []);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < cols; ) {
      const level = levelOf(cells[r * cols + k]);
      let run = 1;
      while (k + run < cols && levelOf(cells[r * cols + k + run]) === level) run++;
      paths[level].push(`M${k} ${r}h${run}v1h-${run}z`);
      k += run;
    }
  }
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(opts.title)}</text>`);
  out.push(`<g transform="translate(${L} ${T}) scale(${(pw / cols).toFixed(4)} ${(ph / rows).toFixed(4)})" shape-rendering="crispEdges">`);
  paths.forEach((p, level) => {
    if (p.length) out.push(`<path fill="${colour(level)}" d="${p.join('')}"/>`);
  });
  out.push('</g>');
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  for (const v of ticks(-opts.halfWidthHz, opts.halfWidthHz)) {
    const x = xOf(opts.centerHz + v).toFixed(1);
    out.push(`<line x1="${x}" y1="${T + ph}" x2="${x}" y2="${T + ph + 4}" stroke="#333"/><text x="${x}" y="${T + ph + 16}" text-anchor="middle">${fmt(v)}</text>`);
  }
  for (const v of ticks(0, duration)) {
    const y = yOf(v).toFixed(1);
    out.push(`<line x1="${L - 4}" y1="${y}" x2="${L}" y2="${y}" stroke="#333"/><text x="${L - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(v)}</text>`);
  }
  out.push(`<text x="${L + pw / 2}" y="${H - 8}" text-anchor="middle">Hz from ${esc(opts.centerHz.toFixed(3))} Hz</text>`);
  out.push(`<text transform="translate(14 ${T + ph / 2}) rotate(-90)" text-anchor="middle">time (s)</text>`);
  if (opts.marks?.length) {
    // Every waterfall shares this layout, so a repeated id on one page clips identically.
    out.push(`<defs><clipPath id="idlegrid-wf-plot"><rect x="${L}" y="${T}" width="${pw}" height="${ph}"/></clipPath></defs>`);
    out.push('<g stroke="#ff3b30" stroke-width="1.5" stroke-dasharray="6 4" fill="none" opacity="0.85" clip-path="url(#idlegrid-wf-plot)">');
    for (const m of opts.marks) {
      const x0 = xOf(m.frequencyHz).toFixed(1);
      const x1 = xOf(m.frequencyHz + m.driftHzPerS * duration).toFixed(1);
      out.push(`<line x1="${x0}" y1="${T}" x2="${x1}" y2="${T + ph}"/>`);
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
