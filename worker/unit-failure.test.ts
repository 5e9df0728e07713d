import { describe, expect, it } from 'vitest';
import { ERRORS } from '../protocol/index.js';
import { unitFailure } from './unit-failure.js';

describe('a unit failure as the coordinator is told', () => {
  it('keeps a registered code and the message', () => {
    expect(unitFailure(Object.assign(new Error('input slice hash 00 does not match 11'), { code: 'INPUT_HASH' }))).toEqual({ code: 'INPUT_HASH', message: 'input slice hash 00 does not match 11' });
    expect(unitFailure({ code: 'UNIT_ERROR', message: 'x' })).toEqual({ code: 'UNIT_ERROR', message: 'x' });
    // A kind's own code is registered too, and reaches the job's owner unchanged.
    expect(unitFailure({ code: 'FFTSCAN_INPUT', message: 'a sah unit needs its input bytes' })).toEqual({ code: 'FFTSCAN_INPUT', message: 'a sah unit needs its input bytes' });
  });

  it('sends a code the registry does not hold as UNIT_ERROR, the original code first in the message', () => {
    const code = 'NOT_A_CODE_ANYWHERE';
    expect(code in ERRORS).toBe(false);
    expect(unitFailure({ code, message: 'data holds 3 bytes' })).toEqual({ code: 'UNIT_ERROR', message: 'NOT_A_CODE_ANYWHERE: data holds 3 bytes' });
  });

  it('takes what a thrower gives, and keeps the message within the wire limit', () => {
    expect(unitFailure(new Error('plain'))).toEqual({ code: 'UNIT_ERROR', message: 'plain' });
    expect(unitFailure('a string')).toEqual({ code: 'UNIT_ERROR', message: 'a string' });
    expect(unitFailure({ code: 'UNIT_ERROR', message: 'm'.repeat(5000) }).message).toHaveLength(2000);
  });
});
