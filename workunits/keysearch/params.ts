/**
 * Schemas of the key search kind: job parameters (what a user submits), the unit spec (what a worker
 * gets), the result (what it sends back) and the kernel's checkpoint.
 *
 * Keys are hex strings of b bytes, read as a big-endian integer (distributed.net's order: last byte
 * fastest). Key counts can exceed 2^53, so the job's count is kept as a decimal string and handled as
 * bigint; a unit's count is at most 2^32 and is a plain number.
 */
import { z } from 'zod';

/**
 * 32-bit operations per key, for credit and rates: 78 key schedule steps of 6 (A half: two additions and
 * a rotation; B half: A + B, the addition to L[j], a rotation), then encryption: two additions and
 * 24 half-rounds of 3 (xor, rotation, addition).
 */
export const OPS_PER_KEY = 78 * 6 + 2 + 24 * 3; // 542

/**
 * Keys per unit when the job does not say: the power of two nearest a minute of one core at the
 * kernel's measured speed (26 Mkeys/s on a 4 GHz x86-64 core: 41 s; slower cores take longer).
 */
export const DEFAULT_UNIT_SIZE = 2 ** 30;
/** Largest unit: counts and digests of a unit are 32-bit. */
export const MAX_UNIT_SIZE = 2 ** 32;

/** A result commits to at most this many block digests (the audit's granularity). */
export const MAX_AUDIT_BLOCKS = 32;

/** Keys per audit block of a unit of `count` keys: the unit in MAX_AUDIT_BLOCKS equal parts, rounded up. */
export const auditBlockSize = (count: number): number => Math.max(1, Math.ceil(count / MAX_AUDIT_BLOCKS));

/** How many audit blocks a unit of `count` keys has. */
export const auditBlocks = (count: number): number => Math.ceil(count / auditBlockSize(count));

const hexOf = (digits: number, what: string) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${digits}}$`), `${what} must be ${digits} hex digits`)
    .transform((s) => s.toLowerCase());
const block = (what: string) => hexOf(16, `${what} (one 8-byte block)`);
const hexKey = (what: string) =>
  z
    .string()
    .regex(/^(?:[0-9a-fA-F]{2})+$/, `${what} must be hex digits, two per key byte`)
    .transform((s) => s.toLowerCase());

/** "rc5-32/12/<b>" -> b, the key length in bytes. */
const ALGORITHM = /^rc5-32\/12\/(\d+)$/;
export const keyBytesOf = (algorithm: string): number => Number(ALGORITHM.exec(algorithm)?.[1]);

const algorithm = z.string().refine((a) => {
  const b = keyBytesOf(a);
  return b >= 5 && b <= 16;
}, 'algorithm must be "rc5-32/12/<b>" with b, the key length in bytes, from 5 to 16 (RC5-72 is "rc5-32/12/9")');

/** What is wrong with a count, in words, or undefined when it is a positive whole number. */
function countProblem(v: number | string): string | undefined {
  if (typeof v === 'string') return /^[1-9][0-9]*$/.test(v) ? undefined : 'count must be a positive whole number, in decimal';
  if (!Number.isInteger(v) || v < 1) return 'count must be a positive whole number';
  if (!Number.isSafeInteger(v)) return 'count above 2^53 must be given as a decimal string, e.g. "4722366482869645213696"';
}
const count = z
  .union([z.number(), z.string()], { error: 'count must be a number, or a decimal string for counts above 2^53' })
  .superRefine((v, ctx) => {
    const problem = countProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform(String);

/** Strict: an unknown key (a typo such as `unitsize`) is refused rather than silently dropped. */
export const Params = z
  .strictObject({
    algorithm,
    iv: block('iv'),
    plaintext: block('plaintext'),
    ciphertext: block('ciphertext'),
    /** First key to try, 2b hex digits. */
    start: hexKey('start'),
    /** Number of keys, as a decimal string (a JSON number is accepted up to 2^53). */
    count,
    unitSize: z
      .number()
      .int('unitSize must be a whole number')
      .positive('unitSize must be at least 1')
      .max(MAX_UNIT_SIZE, `unitSize must be at most 2^32 (${MAX_UNIT_SIZE})`)
      .default(DEFAULT_UNIT_SIZE),
    /** Keep searching after the key is found (a benchmark, or a count of all keys that match). */
    exhaustive: z.boolean().default(false),
  })
  .superRefine((p, ctx) => {
    const b = keyBytesOf(p.algorithm);
    if (b >= 5 && b <= 16 && p.start.length !== 2 * b) {
      ctx.addIssue({
        code: 'custom',
        path: ['start'],
        message: `start must be ${2 * b} hex digits (${b} key bytes) for ${p.algorithm}, got ${p.start.length}`,
      });
    }
  });
export type Params = z.output<typeof Params>;
export type ParamsInput = z.input<typeof Params>;

/** Ciphertexts a unit is searched for: the job's own and the ringers planted beside it (the kernel's memory holds this many). */
export const MAX_TARGETS = 64;

export const UnitSpec = z
  .object({
    /** Key length in bytes. The kernel handles 1..16; jobs use 5..16. */
    b: z.number().int().min(1).max(16),
    rounds: z.literal(12),
    iv: block('iv'),
    plaintext: block('plaintext'),
    /** targets[0] is the job's ciphertext; the coordinator may append ringers. */
    targets: z.array(block('target')).min(1).max(MAX_TARGETS),
    start: hexKey('start'),
    count: z.number().int().positive().max(MAX_UNIT_SIZE),
  })
  .refine((u) => u.start.length === 2 * u.b, { path: ['start'], message: 'start must have 2b hex digits' });
export type UnitSpec = z.output<typeof UnitSpec>;

const Found = z.object({ key: hexKey('key'), target: z.number().int().min(0) });

const Digest = z.string().regex(/^[0-9a-f]{16}$/, 'a digest is 16 lower-case hex digits');

/**
 * digest = (sum mod 2^32 of the first ciphertext word) ‖ (xor of the second word), over every key tried,
 * each as 8 hex digits. It depends on every key and not on their order, so lanes and slices can
 * accumulate apart; two honest hosts agree on it bit for bit (integer arithmetic only).
 * `blocks` commits to the same digest over each audit block of the unit (auditBlockSize keys each, the
 * last one shorter), so the coordinator can recompute any block later and compare.
 */
export const Result = z.object({
  /** A key per target at most (another key of the same target is a 2^-64 chance), so no more than there are targets. */
  found: z.array(Found).max(MAX_TARGETS),
  keys: z.number().int().min(0),
  digest: Digest,
  blocks: z.array(Digest).max(MAX_AUDIT_BLOCKS),
});
export type Result = z.output<typeof Result>;

export const digestOf = (sum: number, xor: number): string =>
  (sum >>> 0).toString(16).padStart(8, '0') + (xor >>> 0).toString(16).padStart(8, '0');

const Word = z.number().int().min(0).max(0xffffffff);

export const KeysearchCheckpoint = z.object({
  done: z.number().int().min(0),
  found: z.array(Found),
  sum: Word,
  xor: Word,
  /** Digests of the audit blocks finished so far, and the totals where the current block began. */
  blocks: z.array(Digest),
  blockSum: Word,
  blockXor: Word,
});
export type KeysearchCheckpoint = z.output<typeof KeysearchCheckpoint>;

/** The job's answer: keys that decrypt the job's ciphertext (not ringers), and how many keys were tried. */
export interface Answer {
  found: Array<{ key: string }>;
  keysSearched: number;
}
