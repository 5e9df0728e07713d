/**
 * SETI@home's triplet search: three evenly spaced pulses in a bin's power over one beam crossing (a PoT
 * segment). Every element at or above triplet_thresh x the segment's mean is a pulse; each pair of
 * pulses (a, b) with a pulse at their midpoint (or, for an odd spacing, at either element next to it)
 * and with the power dropping below the threshold somewhere between a and the midpoint and between the
 * midpoint and b, is a triplet of period (b - a) / 2 bins, scored by its strongest pulse over the mean.
 * Facts from the official client's source (its find_triplets); code ours.
 */

export interface Triplet {
  /** Strongest of the three pulses / segment mean. */
  power: number;
  meanPower: number;
  /** Spacing between pulses, bins (spectra); may be a half-integer. */
  period: number;
  /** Middle pulse's position in the segment, bins (a half-integer for an odd spacing). */
  midpoint: number;
}

const NONE: Triplet[] = [];
/** Positions of the pulses of the current segment (reused: this runs for every bin and segment). */
let above = new Int32Array(64);

/**
 * Every triplet in segment `x`, in SETI@home's order (pairs of pulses by position). `witness`, when
 * given, gets the segment's mean power plus the count of powers at or above the cut, for the block's
 * witness (block-digest.ts), so a host cannot skip the search where it finds nothing.
 */
export function findTriplets(x: Float32Array, thresh: number, witness?: (x: number) => void): Triplet[] {
  const len = x.length;
  let total = 0;
  for (let i = 0; i < len; i++) total += x[i];
  const mean = Math.fround(total / len);
  const cut = Math.fround(thresh * mean);
  let count = 0;
  for (let i = 0; i < len; i++) {
    if (x[i] >= cut) {
      if (count === above.length) {
        const grown = new Int32Array(2 * count);
        grown.set(above);
        above = grown;
      }
      above[count++] = i;
    }
  }
  witness?.(mean + count);
  if (count <= 2) return NONE;
  const out: Triplet[] = [];
  for (let i = 0; i < count - 1; i++) {
    for (let n = i + 1; n < count; n++) {
      const a = above[i], b = above[n];
      const mid = (a + b) / 2, floorMid = Math.floor(mid);
      let peak = Math.max(x[a], x[b]);
      // An "off" between the first pulse and the midpoint, and between the midpoint and the last.
      let p = a;
      while (p <= floorMid && x[p] >= cut) p++;
      let q = floorMid + 1;
      while (q <= b && x[q] >= cut) q++;
      if (p >= floorMid || q >= b) continue;
      const report = (at: number) => {
        if (!(x[at] >= cut)) return;
        if (x[at] > peak) peak = x[at];
        out.push({ power: peak / mean, meanPower: mean, period: (b - a) / 2, midpoint: mid });
      };
      if (mid - floorMid > 0.1) {
        report(floorMid);
        report(floorMid + 1);
      } else {
        report(floorMid);
      }
    }
  }
  return out;
}
