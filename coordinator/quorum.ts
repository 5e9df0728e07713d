/**
 * The validator's rule (BOINC's canonical-result rule), as a pure function of a unit's replicas so
 * that it can be property-tested. Applying the decision atomically is validate.lua's job.
 */
import { AUDIT, OUTCOME, auditPassed, REPLICA_STATE, UNIT_STATE, type AuditLetter, type OutcomeLetter, type ReplicaState } from './store/unit-layout.js';

export interface Replica {
  r: number;
  state: ReplicaState;
  result?: unknown;
  /** Set once decided. */
  outcome?: OutcomeLetter;
  /** What the verifier found, once it recomputed blocks of this result. */
  audit?: AuditLetter;
}

export interface ReplicaSet {
  state: (typeof UNIT_STATE)[keyof typeof UNIT_STATE];
  quorum: number;
  canon?: number;
  replicas: Replica[];
}

export type Decision =
  | { action: 'valid'; canon: number; outcomes: Array<[number, OutcomeLetter]> }
  | { action: 'audit'; replica: number }
  | { action: 'late'; outcomes: Array<[number, OutcomeLetter]> }
  | { action: 'more'; reason: string; outcomes: Array<[number, OutcomeLetter]> }
  | { action: 'fail'; reason: string; outcomes: Array<[number, OutcomeLetter]> }
  | { action: 'none' };

export interface Judge {
  /** Schema, bounds and ringer checks on a single result. */
  acceptable(result: unknown): boolean;
  agree(a: unknown, b: unknown): boolean;
  /** Must the canonical result pass an audit (the verifier recomputing blocks of it) before it counts? */
  auditRequired: boolean;
}

/**
 * BOINC's canonical-result rule with an audit in front of it: a result that failed its audit is out, and
 * so is every result that agrees with it (the same lie, told twice); a result that would become canonical
 * is first audited when the policy says so, and becomes canonical only once it passed. Results already
 * judged invalid (a host caught later has its results reopened) never count again.
 */
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
  const caught = reported.filter((x) => x.audit === AUDIT.failed);
  const candidates = reported.filter((x) =>
    x.outcome !== OUTCOME.invalid && x.audit !== AUDIT.failed && judge.acceptable(x.result) && !caught.some((f) => judge.agree(f.result, x.result)));
  if (candidates.length >= unit.quorum) {
    const needed = Math.floor(unit.quorum / 2) + 1;
    // Results that already passed an audit are tried first, so a pending audit never delays a unit that has one.
    const order = [...candidates].sort((a, b) => Number(auditPassed(b.audit)) - Number(auditPassed(a.audit)));
    for (const c of order) {
      const agreeing = candidates.filter((o) => o === c || judge.agree(c.result, o.result));
      if (agreeing.length >= needed) {
        if (judge.auditRequired && !auditPassed(c.audit)) return { action: 'audit', replica: c.r };
        return {
          action: 'valid',
          canon: c.r,
          outcomes: reported.map((x) => [x.r, agreeing.includes(x) ? OUTCOME.valid : OUTCOME.invalid]),
        };
      }
    }
  }
  // A result that fails its own checks (a fake key, a wrong count) or its audit is invalid whatever others
  // say: mark it now, so its host loses trust at once.
  const rejected: Array<[number, typeof OUTCOME.invalid]> = reported.filter((x) => !x.outcome && !candidates.includes(x)).map((x) => [x.r, OUTCOME.invalid]);
  if (reported.length < unit.quorum && !rejected.length) return { action: 'none' };
  if (reported.length >= maxSuccessResults) {
    return { action: 'fail', reason: `no agreement among ${reported.length} results (max_success_results reached)`, outcomes: rejected };
  }
  if (reported.length < unit.quorum) return { action: 'more', reason: `${rejected.length} result(s) failed checks`, outcomes: rejected };
  return { action: 'more', reason: rejected.length ? `${rejected.length} result(s) failed checks or their audit` : 'results disagree', outcomes: rejected };
}
