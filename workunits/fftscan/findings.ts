/**
 * What a unit has found so far: its detections grouped into signals (one Grouper per type), the
 * detections themselves when the unit reports them, and the best detection of each type even below
 * its threshold; and, per audit block, the digest of every detection it made (block-digest.ts). Plain
 * data in and out (`state`), so a checkpoint carries it and a resumed unit ends with the same result.
 */
import { z } from 'zod';
import { chainDigest, EMPTY_BLOCK_DIGEST, foldWitness, sealDigest, WITNESS_SEED } from './block-digest.js';
import { detectionOrder, Grouper, type GrouperState, type GroupScale } from './grouping.js';
import { DetectionSchema, type Best, type Result } from './params.js';
import type { Detection, SignalType } from './types.js';

const count = z.number().int().nonnegative();

/** Checkpoint form; the grouper state is validated by shape only (it is ours, written by `state`). */
export const FindingsState = z.object({
  groupers: z.record(z.string(), z.unknown()),
  detections: z.array(z.object({ d: DetectionSchema, group: z.number().int() })),
  droppedDetections: count,
  detectionCount: count,
  best: z.record(z.string(), DetectionSchema),
  /** The best Gaussian is a reported one (SETI@home prefers those once it has one). */
  gaussReported: z.boolean(),
  /** Each audit block's digest chain so far and its detections (block-digest.ts). */
  blocks: z.array(z.object({ digest: z.string(), detections: count })),
  /** Each audit block's witness lanes (block-digest.ts foldWitness): block b at 2b and 2b + 1. */
  witness: z.array(z.number().int().min(0).max(0xffffffff)),
});
export type FindingsState = z.infer<typeof FindingsState>;

type BestType = keyof Best;

/**
 * Which of two detections is the better best-of, as SETI@home chooses: spikes, triplets and
 * autocorrelations by score (peak / mean), Gaussians and pulses by their own score; ties to the first.
 */
export const betterBest: Record<BestType, (a: Detection, b: Detection) => boolean> = {
  spike: (a, b) => a.snr > b.snr,
  triplet: (a, b) => a.snr > b.snr,
  autocorr: (a, b) => a.snr > b.snr,
  gaussian: (a, b) => (a.score ?? -Infinity) > (b.score ?? -Infinity),
  pulse: (a, b) => (a.score ?? -Infinity) > (b.score ?? -Infinity),
};

export class Findings {
  private readonly groupers = new Map<SignalType, Grouper>();
  private detections: Array<{ d: Detection; group: number }> = [];
  private droppedDetections = 0;
  private detectionCount = 0;
  private readonly best: Best = {};
  private gaussReported = false;
  private blocks: Array<{ digest: string; detections: number }>;
  private witnessLanes: number[];

  /**
   * `blocks`: the unit's audit blocks; `blockOf` names the block that made a detection (audit-blocks.ts),
   * so that each signal names the block of its strongest detection.
   */
  constructor(
    private readonly scales: Partial<Record<SignalType, GroupScale>>,
    private readonly maxHits: number,
    private readonly report: boolean,
    blocks: number,
    private readonly blockOf: (d: Detection) => number,
    state?: FindingsState,
  ) {
    this.blocks = Array.from({ length: blocks }, () => ({ digest: EMPTY_BLOCK_DIGEST, detections: 0 }));
    this.witnessLanes = Array.from({ length: 2 * blocks }, (_, i) => WITNESS_SEED[i % 2]);
    if (!state) return;
    if (state.blocks.length !== this.blocks.length || state.witness.length !== 2 * blocks) {
      throw new RangeError(`the checkpoint has ${state.blocks.length} audit blocks, the unit ${this.blocks.length}`);
    }
    this.blocks = state.blocks.map((b) => ({ ...b }));
    this.witnessLanes = [...state.witness];
    for (const [type, g] of Object.entries(state.groupers)) {
      const scale = scales[type as SignalType];
      if (scale) this.groupers.set(type as SignalType, new Grouper(scale, maxHits, g as GrouperState));
    }
    this.detections = state.detections.map((x) => ({ d: { ...x.d }, group: x.group }));
    this.droppedDetections = state.droppedDetections;
    this.detectionCount = state.detectionCount;
    Object.assign(this.best, state.best);
    this.gaussReported = state.gaussReported;
  }

  private grouper(type: SignalType): Grouper {
    let g = this.groupers.get(type);
    if (!g) {
      const scale = this.scales[type];
      if (!scale) throw new RangeError(`this unit has no grouping scale for ${type} detections`);
      g = new Grouper(scale, this.maxHits);
      this.groupers.set(type, g);
    }
    return g;
  }

  /** A detection above its threshold, made in audit block `block`. */
  add(d: Detection, block: number): void {
    this.detectionCount++;
    const b = this.blocks[block];
    b.digest = chainDigest(b.digest, d);
    b.detections++;
    const group = this.grouper(d.type).add(d);
    if (!this.report) return;
    this.detections.push({ d, group });
    // Keep the list bounded as it grows: the weakest go first, the same way whenever it is pruned.
    if (this.detections.length > 4 * this.maxHits) this.pruneDetections();
  }

  /** What audit block `block` computed (a spectrum's peak and total power): see foldWitness. */
  witness(block: number, x: number): void {
    foldWitness(this.witnessLanes, 2 * block, x);
  }

  /** A candidate for the type's best-of, above the threshold or not (`betterBest` decides). */
  offerBest(type: BestType, d: Detection): void {
    const cur = this.best[type];
    if (!cur || betterBest[type](d, cur)) this.best[type] = d;
  }

  /** A Gaussian whose fit passed the chi-square test: a reported one beats any that was not. */
  offerBestGaussian(d: Detection, reported: boolean): void {
    if (!reported && this.gaussReported) return;
    if (reported && !this.gaussReported) {
      this.gaussReported = true;
      this.best.gaussian = d;
      return;
    }
    this.offerBest('gaussian', d);
  }

  hasReportedGaussian(): boolean {
    return this.gaussReported;
  }

  bestOf(type: BestType): Detection | undefined {
    return this.best[type];
  }

  private pruneDetections(): void {
    this.detections.sort((a, b) => detectionOrder(a.d, b.d));
    this.droppedDetections += Math.max(0, this.detections.length - this.maxHits);
    this.detections.length = Math.min(this.detections.length, this.maxHits);
  }

  state(): FindingsState {
    const groupers: Record<string, unknown> = {};
    for (const [type, g] of this.groupers) groupers[type] = g.state();
    return {
      groupers, detections: this.detections, droppedDetections: this.droppedDetections,
      detectionCount: this.detectionCount, best: this.best as Record<string, Detection>, gaussReported: this.gaussReported,
      blocks: this.blocks,
      witness: this.witnessLanes,
    };
  }

  result(work: number): Result {
    const all: Array<{ type: SignalType; id: number; c: Result['signals'][number]; peak: Detection }> = [];
    let pruned = 0;
    for (const [type, g] of this.groupers) {
      pruned += g.pruned;
      for (const { id, candidate, peak } of g.signals()) all.push({ type, id, c: candidate, peak });
    }
    all.sort((a, b) => b.c.snr / b.c.threshold - a.c.snr / a.c.threshold || detectionOrder(a.c, b.c));
    const kept = all.slice(0, this.maxHits);
    const index = new Map(kept.map((x, i) => [`${x.type}:${x.id}`, i]));
    this.pruneDetections();
    const detections = this.detections.map(({ d, group }) => {
      const root = this.grouper(d.type).rootOf(group);
      const at = root < 0 ? undefined : index.get(`${d.type}:${root}`);
      return at === undefined ? { ...d } : { ...d, signal: at };
    });
    return {
      signals: kept.map((x) => x.c),
      peaks: kept.map((x) => Math.max(0, this.blockOf(x.peak))),
      blocks: this.blocks.map((b, i) => ({ digest: sealDigest(b.digest, this.witnessLanes[2 * i], this.witnessLanes[2 * i + 1]), detections: b.detections })),
      detections,
      best: { ...this.best },
      // Groups pruned on the way count as dropped only when the list is full: with room to spare, what
      // was pruned was weaker than everything kept and is no signal beyond maxHits (audit.ts relies on it).
      dropped: all.length - kept.length + (kept.length >= this.maxHits ? pruned : 0),
      detectionCount: this.detectionCount,
      droppedDetections: this.droppedDetections,
      work,
    };
  }
}
