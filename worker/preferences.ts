/**
 * The volunteer's preferences: when and how hard the worker computes. Declared once, here, as a table:
 * the table gives the zod schema (validation of the config file, flags and `idlegrid ctl set`), the
 * defaults, the `idlegrid worker --help` text and the start-up listing. Defaults follow BOINC's
 * (BOINC's documented client defaults) except where noted on the entry.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { describeIssues } from '../protocol/index.js';
import { parseWindows } from './windows.js';

// Messages leave out the preference's name: describeIssues puts it in front ("cpuTimePercent: must be ...").
const percent = (min = 0) => z.number({ error: 'must be a number' }).min(min, `must be at least ${min}`).max(100, 'must be at most 100');

const THREADS = 'must be a whole number from 1 to 1024, or a percentage of the cores such as "50%"';
const Threads = z.union([z.number().int(THREADS).min(1, THREADS).max(1024, THREADS), z.string().regex(/^([1-9]\d?|100)%$/, THREADS)], { error: THREADS });

const Hours = z.string().superRefine((s, ctx) => {
  const w = parseWindows(s);
  if (!w.ok) ctx.addIssue({ code: 'custom', message: w.error });
});

type ValueKind = 'int' | 'number' | 'bool' | 'text';

interface Entry<S extends z.ZodType> {
  schema: S;
  default: z.output<S>;
  /** The flag of `idlegrid worker`, in commander's syntax. */
  flag: string;
  /** How a string from a flag or `ctl set` is read. */
  kind: ValueKind;
  help: string;
}

const entry = <S extends z.ZodType>(e: Entry<S>): Entry<S> => e;

export const PREFERENCES = {
  threads: entry({
    schema: Threads, default: '100%' as string | number, flag: '--threads <n|p%>', kind: 'text',
    help: 'compute threads: a number, or a percentage of the cores (BOINC: use at most 100% of the CPUs)',
  }),
  cpuTimePercent: entry({
    schema: percent(1), default: 100, flag: '--cpu-time <percent>', kind: 'number',
    help: 'CPU time cap as a duty cycle: 75 computes 3 s, rests 1 s; 25 computes 1 s, rests 3 s',
  }),
  idleOnly: entry({
    schema: z.boolean(), default: false, flag: '--idle-only', kind: 'bool',
    help: 'compute only while nobody uses this machine (BOINC\'s "suspend when computer is in use"; --no-idle-only to turn off)',
  }),
  idleAfterMinutes: entry({
    schema: z.number().min(0).max(1440), default: 3, flag: '--idle-after <minutes>', kind: 'number',
    help: 'minutes without keyboard or mouse input after which the machine counts as idle',
  }),
  suspendCpuPercent: entry({
    schema: percent(), default: 0, flag: '--suspend-cpu <percent>', kind: 'number',
    help: 'pause while other normal-priority programs use more than this share of all cores (0: never; BOINC uses 25); resumes once they stay 10 points lower for 15 s',
  }),
  suspendOnBattery: entry({
    schema: z.boolean(), default: true, flag: '--suspend-on-battery', kind: 'bool',
    help: 'pause while the machine runs on battery (--no-suspend-on-battery to compute on battery too)',
  }),
  maxTempC: entry({
    schema: z.number().min(0).max(150), default: 90, flag: '--max-temp <celsius>', kind: 'number',
    help: 'pause above this CPU temperature, resume 10 degrees below it (0: never); not in BOINC',
  }),
  hours: entry({
    schema: Hours, default: '', flag: '--hours <windows>', kind: 'text',
    help: 'local times when computing is allowed, e.g. "22:00-07:00,12:00-13:30" (empty: any time)',
  }),
  memoryInUsePercent: entry({
    schema: percent(1), default: 50, flag: '--memory-in-use <percent>', kind: 'number',
    help: 'pause while the worker uses more than this share of RAM and the machine is in use',
  }),
  memoryIdlePercent: entry({
    schema: percent(1), default: 90, flag: '--memory-idle <percent>', kind: 'number',
    help: 'pause while the worker uses more than this share of RAM and the machine is idle',
  }),
  bufferMinutes: entry({
    schema: z.number().min(0).max(1440), default: 10, flag: '--buffer-minutes <m>', kind: 'number',
    help: 'keep at least this many minutes of work in hand, estimated from measured speed (BOINC keeps 0.1 day; idlegrid units last minutes and their deadlines are short)',
  }),
  bufferUnits: entry({
    schema: z.number().int().min(0).max(256), default: 2, flag: '--buffer <n>', kind: 'int',
    help: 'units kept ready beyond one per thread, whatever the estimate says',
  }),
  checkpointIntervalS: entry({
    schema: z.number().int().min(1).max(86_400), default: 60, flag: '--checkpoint-interval <s>', kind: 'int',
    help: 'seconds between checkpoints of a running unit',
  }),
};

export type PreferenceKey = keyof typeof PREFERENCES;
export const PREFERENCE_KEYS = Object.keys(PREFERENCES) as PreferenceKey[];

type Shape = { [K in PreferenceKey]: (typeof PREFERENCES)[K]['schema'] };
const shape = Object.fromEntries(PREFERENCE_KEYS.map((k) => [k, PREFERENCES[k].schema])) as Shape;

/** Every preference, all present: what the worker runs with. */
export const PreferencesSchema = z.strictObject(shape);
export type Preferences = z.output<typeof PreferencesSchema>;
/** Some preferences: one layer (the config file, the flags, a `ctl set`). */
export const PreferenceLayer = PreferencesSchema.partial();
export type PreferenceLayer = z.output<typeof PreferenceLayer>;

export const DEFAULT_PREFERENCES = Object.fromEntries(PREFERENCE_KEYS.map((k) => [k, PREFERENCES[k].default])) as Preferences;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Validate one layer (`where` names it in the message); an unknown key's message lists the known ones. */
export function parseLayer(raw: unknown, where?: string): Parsed<PreferenceLayer> {
  const r = PreferenceLayer.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const unknown = r.error.issues.some((i) => i.code === 'unrecognized_keys');
  const msg = `${describeIssues(r.error)}${unknown ? ` (known preferences: ${PREFERENCE_KEYS.join(', ')})` : ''}`;
  return { ok: false, error: where ? `${where}: ${msg}` : msg };
}

/** Read a preference's value from text (a flag or `idlegrid ctl set KEY VALUE`). */
export function parseValue(key: string, text: string): Parsed<PreferenceLayer> {
  if (!(PREFERENCE_KEYS as string[]).includes(key)) return { ok: false, error: `unknown preference "${key}"; known: ${PREFERENCE_KEYS.join(', ')}` };
  const k = key as PreferenceKey;
  const t = text.trim();
  let value: unknown = t;
  const kind = PREFERENCES[k].kind;
  if (kind === 'bool') {
    const b = { true: true, yes: true, on: true, '1': true, false: false, no: false, off: false, '0': false }[t.toLowerCase()];
    if (b === undefined) return { ok: false, error: `${key}: must be yes or no, got "${text}"` };
    value = b;
  } else if (kind === 'int' || kind === 'number') {
    value = t === '' ? NaN : Number(t);
    if (!Number.isFinite(value)) return { ok: false, error: `${key}: must be a number, got "${text}"` };
  } else if (k === 'threads' && /^\d+$/.test(t)) {
    value = Number(t);
  }
  return parseLayer({ [k]: value });
}

/** Defaults, then each layer in order; later layers win. */
export function mergeLayers(...layers: PreferenceLayer[]): Preferences {
  const out: Record<string, unknown> = { ...DEFAULT_PREFERENCES };
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) if (v !== undefined) out[k] = v;
  return out as Preferences;
}

/** The thread count a `threads` preference means on this machine. */
export function resolveThreads(threads: Preferences['threads'], cores = availableParallelism()): number {
  if (typeof threads === 'number') return threads;
  return Math.max(1, Math.floor((cores * Number(threads.slice(0, -1))) / 100));
}

export function formatValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (v === '') return '(none)';
  return String(v);
}
