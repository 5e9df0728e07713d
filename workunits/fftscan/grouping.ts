/**
 * One signal, one candidate: the detections of one track are gathered into one Candidate, the way
 * turboSETI groups hits and its find_event stage gathers them across observations.
 *
 * A narrowband signal is detected many times: at every trial chirp near its drift (de-chirped at a wrong
 * rate it is smeared over |c - d| * T of bandwidth, T the spectrum's length, but still above the
 * threshold when strong), in neighbouring bins (leakage), and in every spectrum it lasts. What all its
 * detections share is the sky frequency at their own time, f + c * t (f the de-chirped frequency, c the
 * trial chirp): for every trial chirp that is the signal's frequency at that moment, within the smear.
 *
 * Two detections of one type link when they are at most `gapS` apart in time and the sky frequency of
 * one, carried to the other's time at a rate between theirs, is within two bins plus the smear of the
 * other. Linked detections form a group (union-find), so a track chains from spectrum to spectrum and a
 * run of leaking bins from bin to bin. Groups are kept as cells, one per spectrum time, holding the range
 * of sky frequencies and trial chirps seen there and the strongest detection: a unit's memory grows with
 * the signals it sees, not with their detections, and a weak signal is never crowded out by the echoes
 * of a strong one. The kernel feeds detections in a fixed order, so every host builds the same groups.
 *
 * A group's track is the line through its cells' strongest detections (sky frequency against time),
 * weighted by score; when the spectra it spans are too few to beat the trial grid (the fit's standard
 * error above half a trial step) the strongest detection's own chirp is used. At assembly, the groups of
 * all units (which cut the job by FFT length, chirp range and time) are merged again where their tracks
 * meet (`mergeSignals`).
 */
import type { Candidate, Detection, SignalType } from './types.js';

/** What the grouper needs to know about the detections of one unit and one type. */
export interface GroupScale {
  type: SignalType;
  /** One bin of the position axis: Hz (one FFT bin), or for autocorrelations one lag, s. */
  binHz: number;
  /** Time one detection covers (a spectrum, a fit, a fold): the smear at a wrong trial chirp is |dc| * blockS / 2. */
  blockS: number;
  /** Detections further apart in time never link directly (a track chains through those in between). */
  gapS: number;
  /** Spectra (or folds) are this far apart: detections within half of it share a cell. */
  slotS: number;
  /** Spacing of the trial chirps, Hz/s: the drift error of a signal seen in one spectrum only. */
  driftStep: number;
  /** The score detections of this type must exceed (pulses carry their own). */
  threshold: number;
  /**
   * Each detection is a signal of its own, covering [timeS, timeS + blockS]: Taylor hits, which the
   * tree search already thins to one per nTime channels (turboSETI's own grouping).
   */
  whole?: boolean;
}

/** Autocorrelations sit at the band's centre: they are placed and linked by their delay instead. */
const byDelay = (type: SignalType): boolean => type === 'autocorr';

interface Point {
  t: number;
  pos: number;
  rate: number;
  snr: number;
}

interface Cell {
  slot: number;
  lo: number;
  hi: number;
  rateLo: number;
  rateHi: number;
  /** The cell's strongest detection. */
  best: Point;
}

interface Group {
  id: number;
  parent: number;
  count: number;
  best: Detection | null;
  cells: Cell[];
}

/** A total order on detections, strongest first: every host breaks ties the same way. */
export function detectionOrder(a: Detection, b: Detection): number {
  return b.snr / (b.threshold ?? 1) - a.snr / (a.threshold ?? 1) || b.snr - a.snr
    || (a.fftLength ?? 0) - (b.fftLength ?? 0) || a.driftHzPerS - b.driftHzPerS || a.timeS - b.timeS
    || a.frequencyHz - b.frequencyHz || (a.periodS ?? 0) - (b.periodS ?? 0) || (a.delayS ?? 0) - (b.delayS ?? 0);
}

/** Strongest first across types: by how far above its own threshold, then by detectionOrder. */
export function candidateOrder(a: Candidate, b: Candidate): number {
  return b.snr / b.threshold - a.snr / a.threshold || detectionOrder(a, b);
}

function pointOf(d: Detection): Point {
  if (byDelay(d.type)) return { t: d.timeS, pos: d.delayS ?? 0, rate: 0, snr: d.snr };
  return { t: d.timeS, pos: d.frequencyHz + d.driftHzPerS * d.timeS, rate: d.driftHzPerS, snr: d.snr };
}

const stronger = (a: Point, b: Point): boolean => a.snr > b.snr || (a.snr === b.snr && (a.t < b.t || (a.t === b.t && a.pos < b.pos)));

/** Serialisable state of a Grouper (checkpoints). */
export interface GrouperState {
  groups: Array<{ id: number; parent: number; count: number; best: Detection | null; cells: Cell[] }>;
  pruned: number;
}

/**
 * Groups the detections of one unit and one type as they come. `limit` bounds the groups kept: past
 * 4 x limit the weakest are dropped (counted in `pruned`), so a unit's state stays small whatever it sees.
 */
export class Grouper {
  private readonly groups: Group[] = [];
  private readonly slots = new Map<number, Cell[]>();
  private readonly cellOwner = new Map<Cell, number>();
  private live = 0;
  pruned = 0;

  constructor(readonly scale: GroupScale, private readonly limit: number, state?: GrouperState) {
    if (state) {
      this.pruned = state.pruned;
      for (const g of state.groups) {
        const group: Group = { ...g, cells: g.cells.map((c) => ({ ...c, best: { ...c.best } })) };
        this.groups.push(group);
        if (group.parent === group.id && group.best) {
          this.live++;
          for (const c of group.cells) {
            this.index(c);
            this.cellOwner.set(c, group.id);
          }
        }
      }
    }
  }

  private index(c: Cell): void {
    const list = this.slots.get(c.slot);
    if (list) list.push(c);
    else this.slots.set(c.slot, [c]);
  }

  private unindex(c: Cell): void {
    const list = this.slots.get(c.slot)!;
    list.splice(list.indexOf(c), 1);
    if (!list.length) this.slots.delete(c.slot);
  }

  private root(id: number): Group {
    let g = this.groups[id];
    while (g.parent !== g.id) {
      // Path halving keeps later look-ups short.
      g.parent = this.groups[g.parent].parent;
      g = this.groups[g.parent];
    }
    return g;
  }

  /** Does detection point p link to cell c? */
  private links(p: Point, c: Cell): boolean {
    const s = this.scale;
    const dt = p.t - c.best.t;
    if (Math.abs(dt) > s.gapS * (1 + 1e-9)) return false;
    const r0 = Math.min(c.rateLo, p.rate), r1 = Math.max(c.rateHi, p.rate);
    const lo = c.lo + Math.min(r0 * dt, r1 * dt), hi = c.hi + Math.max(r0 * dt, r1 * dt);
    const smear = Math.max(Math.abs(p.rate - c.rateLo), Math.abs(p.rate - c.rateHi)) * (s.blockS / 2);
    const tol = 2 * s.binHz + smear;
    return p.pos >= lo - tol && p.pos <= hi + tol;
  }

  /** Adds one detection; returns the id of the group it joined (follow `signalOf` later: groups merge). */
  add(d: Detection): number {
    const p = pointOf(d);
    const slot = Math.round(p.t / this.scale.slotS);
    const span = Math.ceil(this.scale.gapS / this.scale.slotS) + 1;
    const hit = new Set<number>();
    for (let k = slot - span; k <= slot + span && !this.scale.whole; k++) {
      for (const c of this.slots.get(k) ?? []) if (this.links(p, c)) hit.add(this.root(this.cellOwner.get(c)!).id);
    }
    let g: Group;
    if (hit.size === 0) {
      g = { id: this.groups.length, parent: this.groups.length, count: 0, best: null, cells: [] };
      this.groups.push(g);
      this.live++;
    } else {
      const ids = [...hit].sort((a, b) => a - b);
      g = this.groups[ids[0]];
      for (const other of ids.slice(1)) this.absorb(g, this.groups[other]);
    }
    g.count++;
    if (!g.best || detectionOrder(d, g.best) < 0) g.best = { ...d };
    let cell = g.cells.find((c) => c.slot === slot);
    if (!cell) {
      cell = { slot, lo: p.pos, hi: p.pos, rateLo: p.rate, rateHi: p.rate, best: p };
      g.cells.push(cell);
      this.cellOwner.set(cell, g.id);
      this.index(cell);
    } else {
      cell.lo = Math.min(cell.lo, p.pos);
      cell.hi = Math.max(cell.hi, p.pos);
      cell.rateLo = Math.min(cell.rateLo, p.rate);
      cell.rateHi = Math.max(cell.rateHi, p.rate);
      if (stronger(p, cell.best)) cell.best = p;
    }
    if (this.live > 4 * this.limit) this.prune();
    return g.id;
  }

  /** Merges group b into group a (a has the lower id, so the result does not depend on arrival order). */
  private absorb(a: Group, b: Group): void {
    b.parent = a.id;
    a.count += b.count;
    if (b.best && (!a.best || detectionOrder(b.best, a.best) < 0)) a.best = b.best;
    for (const c of b.cells) {
      this.unindex(c);
      this.cellOwner.delete(c);
      const mine = a.cells.find((x) => x.slot === c.slot);
      if (!mine) {
        a.cells.push(c);
        this.cellOwner.set(c, a.id);
        this.index(c);
        continue;
      }
      mine.lo = Math.min(mine.lo, c.lo);
      mine.hi = Math.max(mine.hi, c.hi);
      mine.rateLo = Math.min(mine.rateLo, c.rateLo);
      mine.rateHi = Math.max(mine.rateHi, c.rateHi);
      if (stronger(c.best, mine.best)) mine.best = c.best;
    }
    b.cells = [];
    b.best = null;
    b.count = 0;
    this.live--;
  }

  /** Drops the weakest groups down to 2 x limit; their ids then map to no signal. */
  private prune(): void {
    const roots = this.groups.filter((g) => g.parent === g.id && g.best);
    roots.sort((a, b) => detectionOrder(a.best!, b.best!) || a.id - b.id);
    for (const g of roots.slice(2 * this.limit)) {
      for (const c of g.cells) {
        this.unindex(c);
        this.cellOwner.delete(c);
      }
      g.cells = [];
      g.best = null;
      this.live--;
      this.pruned++;
    }
  }

  /** The group a detection's id now belongs to, or -1 when it was pruned. */
  rootOf(id: number): number {
    const g = this.root(id);
    return g.best ? g.id : -1;
  }

  /** The signals, strongest first, each with the root id of its group and its strongest detection. */
  signals(): Array<{ id: number; candidate: Candidate; peak: Detection }> {
    return this.groups
      .filter((g) => g.parent === g.id && g.best)
      .map((g) => ({ id: g.id, candidate: candidateOf(g, this.scale), peak: g.best! }))
      .sort((a, b) => candidateOrder(a.candidate, b.candidate) || a.id - b.id);
  }

  state(): GrouperState {
    return {
      pruned: this.pruned,
      groups: this.groups.map((g) => ({ id: g.id, parent: g.parent, count: g.count, best: g.best, cells: g.cells })),
    };
  }
}

/** Least-squares line through the cells' strongest detections, weighted by score. */
function track(cells: Cell[], scale: GroupScale, best: Detection): { f0: number; drift: number; err: number } {
  const bestPoint = pointOf(best);
  const single = { f0: bestPoint.pos - best.driftHzPerS * bestPoint.t, drift: best.driftHzPerS, err: scale.driftStep / 2 };
  if (byDelay(scale.type) || cells.length < 2) return single;
  let sw = 0, st = 0, sp = 0;
  for (const c of cells) {
    sw += c.best.snr;
    st += c.best.snr * c.best.t;
    sp += c.best.snr * c.best.pos;
  }
  const tm = st / sw, pm = sp / sw;
  let stt = 0, stp = 0, spread = 0;
  const mean = cells.reduce((s, c) => s + c.best.t, 0) / cells.length;
  for (const c of cells) {
    stt += c.best.snr * (c.best.t - tm) ** 2;
    stp += c.best.snr * (c.best.t - tm) * (c.best.pos - pm);
    spread += (c.best.t - mean) ** 2;
  }
  // A bin-quantised frequency has a standard error of bin / sqrt(12).
  const err = scale.binHz / Math.sqrt(12) / Math.sqrt(spread);
  if (!(stt > 0) || !(err < scale.driftStep / 2)) return single;
  const drift = stp / stt;
  return { f0: pm - drift * tm, drift, err };
}

function candidateOf(g: Group, scale: GroupScale): Candidate {
  const best = g.best!;
  const { signal: _signal, ...fields } = best;
  const { f0, drift, err } = track(g.cells, scale, best);
  let t0 = Infinity, t1 = -Infinity, width = scale.binHz;
  for (const c of g.cells) {
    t0 = Math.min(t0, c.best.t);
    t1 = Math.max(t1, c.best.t);
    const at = byDelay(scale.type) ? f0 : f0 + drift * c.best.t;
    width = Math.max(width, 2 * Math.abs(c.hi - at), 2 * Math.abs(c.lo - at));
  }
  const startS = scale.whole ? t0 : Math.max(0, t0 - scale.blockS / 2);
  const endS = scale.whole ? t1 + scale.blockS : t1 + scale.blockS / 2;
  const posAt = (t: number) => (byDelay(scale.type) ? best.frequencyHz : f0 + drift * t);
  return {
    ...fields,
    frequencyHz: byDelay(scale.type) ? best.frequencyHz : f0,
    driftHzPerS: drift,
    driftErrHzPerS: err,
    threshold: best.threshold ?? scale.threshold,
    startS, endS, startHz: posAt(startS), endHz: posAt(endS),
    bandwidthHz: width,
    detections: g.count,
  };
}

/** Where a candidate's track is at time t (autocorrelations: their delay, which does not move). */
function positionAt(c: Candidate, t: number): number {
  return byDelay(c.type) ? (c.delayS ?? 0) : c.frequencyHz + c.driftHzPerS * t;
}

/**
 * Do two signals (from different units) belong to one track? Same type; time spans overlapping or less
 * than `gapS` apart; and at a time between them the tracks within their half-widths, two bins and what
 * their drift errors allow over the distance from each span's middle.
 */
export function sameSignal(a: Candidate, b: Candidate, binHz: (c: Candidate) => number, gapS: number): boolean {
  if (a.type !== b.type) return false;
  const gap = Math.max(a.startS, b.startS) - Math.min(a.endS, b.endS);
  if (gap > gapS) return false;
  const lo = Math.max(a.startS, b.startS), hi = Math.min(a.endS, b.endS);
  const t = (lo + hi) / 2;
  const far = Math.max(Math.abs(t - (a.startS + a.endS) / 2), Math.abs(t - (b.startS + b.endS) / 2));
  const tol = (a.bandwidthHz + b.bandwidthHz) / 2 + 2 * Math.max(binHz(a), binHz(b))
    + (byDelay(a.type) ? 0 : (a.driftErrHzPerS + b.driftErrHzPerS) * far);
  return Math.abs(positionAt(a, t) - positionAt(b, t)) <= tol;
}

/**
 * Merges signals that are one track (union-find, so the outcome does not depend on their order). The
 * merged signal keeps the strongest member's score and fields, and the track of the member whose drift
 * is known best. Returns the merged signals strongest first, and for each input its index there.
 */
export function mergeSignals(
  list: Candidate[], binHz: (c: Candidate) => number, gapS: (c: Candidate) => number,
): { merged: Candidate[]; indexOf: number[] } {
  const parent = list.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  // Each signal's reach in position (frequency, or delay) over its span and the gap either side, with
  // every tolerance `sameSignal` allows: two signals can be one only where their reaches overlap. A sweep
  // over the reaches sorted by their low edge compares only those pairs.
  const maxGap = list.reduce((m, c) => Math.max(m, gapS(c)), 0);
  const far = list.reduce((m, c) => Math.max(m, (c.endS - c.startS) / 2), 0) + maxGap;
  const reach = list.map((c, i) => {
    const t0 = c.startS - maxGap, t1 = c.endS + maxGap;
    const slack = c.bandwidthHz / 2 + 2 * binHz(c) + (byDelay(c.type) ? 0 : 2 * c.driftErrHzPerS * far);
    const a = positionAt(c, t0), b = positionAt(c, t1);
    return { i, lo: Math.min(a, b) - slack, hi: Math.max(a, b) + slack };
  }).sort((x, y) => x.lo - y.lo || x.i - y.i);
  for (let x = 0; x < reach.length; x++) {
    const a = list[reach[x].i];
    for (let y = x + 1; y < reach.length && reach[y].lo <= reach[x].hi; y++) {
      const b = list[reach[y].i];
      if (sameSignal(a, b, binHz, Math.max(gapS(a), gapS(b)))) {
        const ra = find(reach[x].i), rb = find(reach[y].i);
        if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
      }
    }
  }
  const members = new Map<number, number[]>();
  list.forEach((_, i) => {
    const r = find(i);
    const m = members.get(r);
    if (m) m.push(i);
    else members.set(r, [i]);
  });
  const built: Array<{ root: number; c: Candidate }> = [];
  for (const [root, ids] of members) built.push({ root, c: combine(ids.map((i) => list[i])) });
  built.sort((a, b) => candidateOrder(a.c, b.c) || a.root - b.root);
  const rank = new Map(built.map((b, i) => [b.root, i]));
  return { merged: built.map((b) => b.c), indexOf: list.map((_, i) => rank.get(find(i))!) };
}

function combine(group: Candidate[]): Candidate {
  if (group.length === 1) return group[0];
  const best = [...group].sort(candidateOrder)[0];
  const steer = [...group].sort((a, b) => a.driftErrHzPerS - b.driftErrHzPerS || candidateOrder(a, b))[0];
  const startS = Math.min(...group.map((c) => c.startS)), endS = Math.max(...group.map((c) => c.endS));
  const out: Candidate = {
    ...best,
    frequencyHz: steer.frequencyHz, driftHzPerS: steer.driftHzPerS, driftErrHzPerS: steer.driftErrHzPerS,
    startS, endS, detections: group.reduce((s, c) => s + c.detections, 0),
  };
  let width = 0;
  for (const c of group) {
    for (const t of [c.startS, c.endS]) width = Math.max(width, 2 * Math.abs(positionAt(c, t) - positionAt(out, t)) + c.bandwidthHz);
  }
  out.bandwidthHz = width;
  out.startHz = positionAt(out, startS);
  out.endHz = positionAt(out, endS);
  if (byDelay(out.type)) {
    out.startHz = out.endHz = best.frequencyHz;
  }
  return out;
}

/** One detection as a signal of its own (a Taylor hit, or a detection shown alone). */
export function singleSignal(d: Detection, threshold: number, blockS: number): Candidate {
  const { signal: _signal, ...fields } = d;
  const startS = Math.max(0, d.timeS - blockS / 2), endS = d.timeS + blockS / 2;
  return {
    ...fields, driftErrHzPerS: 0, threshold: d.threshold ?? threshold, startS, endS,
    startHz: d.frequencyHz + d.driftHzPerS * startS, endHz: d.frequencyHz + d.driftHzPerS * endS,
    bandwidthHz: 0, detections: 1,
  };
}
