/**
 * Taylor tree de-Doppler search (the method of turboSETI): sum a spectrogram's power along straight
 * paths of every integer total drift, in N log2 N additions per channel instead of N^2 per path.
 *
 * Paths. The time axis is padded with zero rows to N = 2^k. A path of total drift D (0 <= D < N
 * channels between row 0 and row N-1) is defined recursively: its first half is the path of drift
 * floor(D/2) over N/2 rows, its second half the same path started floor(D/2) + (D mod 2) channels
 * further on (pathOffset below). Drifts beyond N-1 channels are searched in blocks: block b first shifts
 * row t by b*t channels, so the total drift is K = b*(N-1) + D. Negative drifts run the same tree on the
 * frequency-reversed spectrogram. Values beyond the band count as zero and only paths that stay in the
 * band over the real rows are reported.
 *
 * Statistics follow turboSETI: the time-summed spectrum is sorted, clipped to its 5-95 percentile ranks,
 * and SNR = (path sum - median) / std of the clipped values. Per start channel the best drift is kept;
 * then a hit survives only if no stronger hit lies within nTime channels on either side.
 */
import type { Detection, Spectrogram } from './types.js';

export interface TaylorOptions {
  maxDriftHzPerS: number;
  snrThreshold: number;
  /** Start time of the spectrogram within its recording (Candidate.timeS); default 0. */
  startTimeS?: number;
}

/** Channel offset at row t of the tree path with total drift D over N rows (N a power of two). */
export function pathOffset(t: number, D: number, N: number): number {
  let off = 0;
  for (let n = N; n > 1; n >>= 1) {
    const half = n >> 1;
    // Walk down the recursion: the drift halves at each level, the offset grows when t is in a second half.
    const top = D;
    D >>= 1;
    if (t >= half) {
      off += D + (top & 1);
      t -= half;
    }
  }
  return off;
}

export function paddedRows(nTime: number): number {
  let n = 1;
  while (n < nTime) n <<= 1;
  return n;
}

/**
 * The tree: rows holds N padded rows of nChan values (row-major). Returns sums with sums[D * nChan + f] =
 * sum over t of rows[t][f + pathOffset(t, D, N)], zero beyond the band. O(N log2 N * nChan).
 */
export function taylorTree(rows: Float64Array, N: number, nChan: number): Float64Array {
  return treeInPlace(rows.slice(), new Float64Array(rows.length), N, nChan);
}

/** The tree on two caller-owned buffers (both overwritten); returns the one holding the sums. */
function treeInPlace(cur: Float64Array, next: Float64Array, N: number, nChan: number): Float64Array {
  // Layout at each stage: block j (rows j*m .. j*m+m-1) holds m drift sums at cur[(j*m + d) * nChan].
  for (let m = 1; m < N; m <<= 1) {
    for (let j = 0; j < N; j += 2 * m) {
      for (let D = 0; D < 2 * m; D++) {
        const h = D >> 1;
        const s = h + (D & 1);
        const a = (j + h) * nChan;
        const b = (j + m + h) * nChan;
        const o = (j + D) * nChan;
        const lim = nChan - s;
        for (let f = 0; f < lim; f++) next[o + f] = cur[a + f] + cur[b + f + s];
        for (let f = Math.max(0, lim); f < nChan; f++) next[o + f] = cur[a + f];
      }
    }
    [cur, next] = [next, cur];
  }
  return cur;
}

/** turboSETI's noise estimate: median and std of the time-summed spectrum clipped to ranks 5%..95%. */
export function clippedStats(summed: Float64Array): { median: number; std: number } {
  const sorted = Float64Array.from(summed).sort();
  const clipped = sorted.subarray(Math.floor(sorted.length * 0.05), Math.floor(sorted.length * 0.95));
  const n = clipped.length;
  if (n === 0) return { median: NaN, std: NaN };
  const median = n % 2 ? clipped[(n - 1) / 2] : (clipped[n / 2 - 1] + clipped[n / 2]) / 2;
  let mean = 0;
  for (const v of clipped) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of clipped) ss += (v - mean) ** 2;
  return { median, std: Math.sqrt(ss / n) };
}

export function taylorSearch(spec: Spectrogram, opts: TaylorOptions): Detection[] {
  const { nTime, nChan, data } = spec;
  if (data.length !== nTime * nChan || nTime < 1 || nChan < 1) {
    throw new RangeError(`spectrogram shape ${nTime}x${nChan} does not match ${data.length} values`);
  }
  if (!(opts.maxDriftHzPerS >= 0) || !(spec.dtS > 0) || spec.dfHz === 0) {
    throw new RangeError('need maxDriftHzPerS >= 0, dtS > 0 and dfHz != 0');
  }
  const N = paddedRows(nTime);
  const summed = new Float64Array(nChan);
  for (let t = 0; t < nTime; t++) for (let c = 0; c < nChan; c++) summed[c] += data[t * nChan + c];
  const { median, std } = clippedStats(summed);
  if (!(std > 0)) return []; // a flat spectrum has no noise scale, so SNR is undefined

  // Drift step: one channel across the padded span (equal to df / ((nTime-1) dt) when nTime is 2^k).
  const step = N > 1 ? Math.abs(spec.dfHz) / ((N - 1) * spec.dtS) : 0;
  const kMax = step > 0 ? Math.floor(opts.maxDriftHzPerS / step + 1e-9) : 0;
  const bestSnr = new Float64Array(nChan).fill(-Infinity);
  const bestK = new Int32Array(nChan);
  const rows = new Float64Array(N * nChan);
  const scratch = new Float64Array(N * nChan);

  for (const dir of [1, -1]) {
    for (let b = 0; b * Math.max(N - 1, 1) <= kMax; b++) {
      // Fill the padded rows, reversed in frequency for negative drifts, pre-shifted by b*t for block b.
      rows.fill(0);
      for (let t = 0; t < nTime; t++) {
        const sh = b * t;
        for (let f = 0; f + sh < nChan; f++) {
          const c = f + sh;
          rows[t * nChan + f] = data[t * nChan + (dir > 0 ? c : nChan - 1 - c)];
        }
      }
      const sums = treeInPlace(rows, scratch, N, nChan);
      for (let D = b > 0 ? 1 : 0; D < N; D++) {
        const K = b * (N - 1) + D;
        if (K > kMax || (dir < 0 && K === 0)) continue;
        const endShift = b * (nTime - 1) + pathOffset(nTime - 1, D, N);
        for (let f = 0; f + endShift < nChan; f++) {
          const snr = (sums[D * nChan + f] - median) / std;
          const ch = dir > 0 ? f : nChan - 1 - f;
          if (snr > bestSnr[ch]) {
            bestSnr[ch] = snr;
            bestK[ch] = dir * K;
          }
        }
      }
    }
  }

  const hits: Detection[] = [];
  const w = nTime;
  for (let c = 0; c < nChan; c++) {
    const s = bestSnr[c];
    if (!(s > opts.snrThreshold)) continue;
    let top = true;
    for (let o = Math.max(0, c - w); o <= Math.min(nChan - 1, c + w) && top; o++) {
      // Strictly stronger neighbours win; exact ties go to the lower channel so the result is unique.
      if (bestSnr[o] > s || (bestSnr[o] === s && o < c)) top = false;
    }
    if (!top) continue;
    hits.push({
      frequencyHz: spec.fch1Hz + c * spec.dfHz,
      driftHzPerS: N > 1 ? (bestK[c] * spec.dfHz) / ((N - 1) * spec.dtS) : 0,
      snr: s,
      timeS: opts.startTimeS ?? 0,
      type: 'drift',
    });
  }
  return hits.sort((a, b) => b.snr - a.snr || a.frequencyHz - b.frequencyHz);
}
