/**
 * The validator's rule (BOINC's canonical-result rule), as a pure function of a unit's replicas so
 * that it can be property-tested. Applying the decision atomically is validate.lua's job.
 */
import { OUTCOME, REPLICA_STATE, UNIT_STATE, type OutcomeLetter, type ReplicaState } from './store/unit-layout.js';

export interface Replica {
  r: number;
  state: ReplicaState;
  result?: unknown;
  /** Set once decided. */
  outcome?: OutcomeLetter;
}

export interface ReplicaSet {
  state: (typeof UNIT_STATE)[keyof typeof UNIT_STATE];
  quorum: number;
  canon?: number;
  replicas: Replica[];
}

export type Decision =
  | { action: 'valid'; canon: number; outcomes: Array<[number, OutcomeLetter]> }
  | { action: 'late'; outcomes: Array<[number, OutcomeLetter]> }
  | { action: 'more'; reason: string; outcomes: Array<[number, OutcomeLetter]> }
  | { action: 'fail'; reason: string; outcomes: Array<[number, OutcomeLetter]> }
  | { action: 'none' };

export interface Judge {
  /** Schema, bounds and ringer checks on a single result. */
  acceptable(result: unknown): boolean;
  agree(a: unknown, b: unknown): boolean;
}

export function decide(unit: ReplicaSet, judge: Judge, maxSuccessResults: number): Decision {
  const reported = unit.replicas.filter((x) => x.state === REPLICA_STATE.reported);
  if (unit.state === UNIT_STATE.valid) {
    const canonical = unit.replicas.find((x) => x.r === unit.canon)?.result;
    const pending = reported.filter((x) => !x.outcome);
    if (!pending.length) return { action: 'none' };
    return {
      action: 'late',
      outcomes: pending.map((x) => [x.r, judge.acceptable(x.result) && judge.agree(canonical, x.result) ? OUTCOME.valid : OUTCOME.invalid]),
    };
  }
  if (unit.state !== UNIT_STATE.open) return { action: 'none' };
  const candidates = reported.filter((x) => judge.acceptable(x.result));
  if (candidates.length >= unit.quorum) {
    const needed = Math.floor(unit.quorum / 2) + 1;
    for (const c of candidates) {
      const agreeing = candidates.filter((o) => o === c || judge.agree(c.result, o.result));
      if (agreeing.length >= needed) {
        return {
          action: 'valid',
          canon: c.r,
          outcomes: reported.map((x) => [x.r, agreeing.includes(x) ? OUTCOME.valid : OUTCOME.invalid]),
        };
      }
    }
  }
  // A result that fails its own checks (a fake key, a wrong count) is invalid whatever others say:
  // mark it now, so its host loses trust at once.
  const rejected: Array<[number, typeof OUTCOME.invalid]> = reported.filter((x) => !x.outcome && !candidates.includes(x)).map((x) => [x.r, OUTCOME.invalid]);
  if (reported.length < unit.quorum && !rejected.length) return { action: 'none' };
  if (reported.length >= maxSuccessResults) {
    return { action: 'fail', reason: `no agreement among ${reported.length} results (max_success_results reached)`, outcomes: rejected };
  }
  if (reported.length < unit.quorum) return { action: 'more', reason: `${rejected.length} result(s) failed checks`, outcomes: rejected };
  return { action: 'more', reason: rejected.length ? `${rejected.length} result(s) failed checks` : 'results disagree', outcomes: rejected };
}
