import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, type Replica } from './quorum.js';

const judge = { acceptable: (r: unknown) => r !== 'garbage', agree: (a: unknown, b: unknown) => a === b, auditRequired: false };
const audited = { ...judge, auditRequired: true };

const replicas = (results: unknown[]): Replica[] => results.map((result, r) => ({ r, state: 'R', result }));

describe('canonical-result rule', () => {
  it('validates two agreeing results and marks a third dissenter invalid', () => {
    expect(decide({ state: 'open', quorum: 2, replicas: replicas(['a', 'a']) }, judge, 6)).toEqual({
      action: 'valid', canon: 0, outcomes: [[0, 'V'], [1, 'V']],
    });
    const d = decide({ state: 'open', quorum: 2, replicas: replicas(['a', 'b', 'b']) }, judge, 6);
    expect(d).toEqual({ action: 'valid', canon: 1, outcomes: [[0, 'I'], [1, 'V'], [2, 'V']] });
  });

  it('asks for one more replica on disagreement and fails after max_success_results', () => {
    expect(decide({ state: 'open', quorum: 2, replicas: replicas(['a', 'b']) }, judge, 6).action).toBe('more');
    expect(decide({ state: 'open', quorum: 2, replicas: replicas(['a', 'b', 'c', 'd', 'e', 'f']) }, judge, 6).action).toBe('fail');
  });

  it('never counts a result that fails its checks', () => {
    expect(decide({ state: 'open', quorum: 2, replicas: replicas(['garbage', 'garbage']) }, judge, 6)).toEqual({
      action: 'more', reason: '2 result(s) failed checks or their audit', outcomes: [[0, 'I'], [1, 'I']],
    });
    expect(decide({ state: 'open', quorum: 2, replicas: replicas(['garbage']) }, judge, 6)).toMatchObject({ action: 'more', outcomes: [[0, 'I']] });
  });

  it('compares late results with the canonical one', () => {
    const reps: Replica[] = [
      { r: 0, state: 'R', result: 'a', outcome: 'V' },
      { r: 1, state: 'R', result: 'a', outcome: 'V' },
      { r: 2, state: 'R', result: 'a' },
      { r: 3, state: 'R', result: 'z' },
    ];
    expect(decide({ state: 'valid', quorum: 2, canon: 0, replicas: reps }, judge, 6)).toEqual({ action: 'late', outcomes: [[2, 'V'], [3, 'I']] });
  });

  it('audits the would-be canonical result first, and takes it only once it passed', () => {
    expect(decide({ state: 'open', quorum: 1, replicas: replicas(['a']) }, audited, 6)).toEqual({ action: 'audit', replica: 0 });
    const passed: Replica[] = [{ r: 0, state: 'R', result: 'a', audit: 'P' }];
    expect(decide({ state: 'open', quorum: 1, replicas: passed }, audited, 6)).toEqual({ action: 'valid', canon: 0, outcomes: [[0, 'V']] });
    const whole: Replica[] = [{ r: 0, state: 'R', result: 'a', audit: 'W' }];
    expect(decide({ state: 'open', quorum: 1, replicas: whole }, audited, 6)).toEqual({ action: 'valid', canon: 0, outcomes: [[0, 'V']] });
  });

  it('a result that failed its audit is invalid, and so is every result that agrees with it', () => {
    const reps: Replica[] = [
      { r: 0, state: 'R', result: 'lie', audit: 'F' },
      { r: 1, state: 'R', result: 'lie' },
      { r: 2, state: 'R', result: 'truth', audit: 'P' },
    ];
    expect(decide({ state: 'open', quorum: 1, replicas: reps }, audited, 6)).toEqual({ action: 'valid', canon: 2, outcomes: [[0, 'I'], [1, 'I'], [2, 'V']] });
    expect(decide({ state: 'open', quorum: 1, replicas: reps.slice(0, 2) }, audited, 6)).toMatchObject({ action: 'more', outcomes: [[0, 'I'], [1, 'I']] });
  });

  it('with replicas and audits (a job asking minQuorum 2): the canonical result passed its audit, whatever arrived first', () => {
    const reps: Replica[] = [{ r: 0, state: 'R', result: 'a' }, { r: 1, state: 'R', result: 'a', audit: 'P' }];
    expect(decide({ state: 'open', quorum: 2, replicas: reps }, audited, 6)).toEqual({ action: 'valid', canon: 1, outcomes: [[0, 'V'], [1, 'V']] });
    // Neither audited yet: the first is audited before it can be canonical; caught, it takes its copies with it.
    expect(decide({ state: 'open', quorum: 2, replicas: replicas(['a', 'a']) }, audited, 6)).toEqual({ action: 'audit', replica: 0 });
    const caught: Replica[] = [{ r: 0, state: 'R', result: 'lie', audit: 'F' }, { r: 1, state: 'R', result: 'truth' }, { r: 2, state: 'R', result: 'truth' }];
    expect(decide({ state: 'open', quorum: 2, replicas: caught }, audited, 6)).toEqual({ action: 'audit', replica: 1 });
  });

  it('never counts again a result judged invalid after the fact (its host was caught)', () => {
    const reps: Replica[] = [{ r: 0, state: 'R', result: 'a', outcome: 'I' }];
    expect(decide({ state: 'open', quorum: 1, replicas: reps }, judge, 6)).toMatchObject({ action: 'more' });
  });

  it('property: a valid decision always has a quorum of agreeing, acceptable results including the canonical one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.constantFrom('a', 'b', 'c', 'garbage'), { minLength: 1, maxLength: 10 }), (q, results) => {
        const d = decide({ state: 'open', quorum: q, replicas: replicas(results) }, judge, 10);
        if (d.action !== 'valid') return true;
        const valid = d.outcomes.filter(([, o]) => o === 'V').map(([r]) => r);
        const canon = results[d.canon];
        return (
          canon !== 'garbage' &&
          valid.includes(d.canon) &&
          valid.length >= Math.floor(q / 2) + 1 &&
          valid.every((r) => results[r] === canon) &&
          results.filter((x) => x === canon).length === valid.length
        );
      }),
      { numRuns: 2000 },
    );
  });
});
