import { InvalidArgumentError } from 'commander';

export const intArg = (name: string, min = 0) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return n;
};

/** A number within [min, max] (a typo such as "1o" is refused here, not sent on as NaN). */
export const numArg = (name: string, min = -Infinity, max = Infinity, integer = false) => (v: string): number => {
  const n = Number(v);
  const range = `${min === -Infinity ? '' : `>= ${min}`}${min !== -Infinity && max !== Infinity ? ' and ' : ''}${max === Infinity ? '' : `<= ${max}`}`;
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`);
  }
  return n;
};

/** A count that may exceed 2^53 (key spaces): decimal or 0x-hex, returned as a decimal string. */
export const bigArg = (name: string) => (v: string): string => {
  try {
    const n = BigInt(v.trim());
    if (n <= 0n) throw new Error();
    return n.toString();
  } catch {
    throw new InvalidArgumentError(`${name} must be a positive integer (decimal or 0x-hex)`);
  }
};

export const numberArg = (name: string, min: number, max: number) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`);
  return n;
};
