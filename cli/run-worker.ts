/**
 * `idlegrid worker`: flags -> preferences layer -> a running volunteer (worker/volunteer.ts), with the
 * live view on a terminal, plain lines when piped, JSON lines with --json, warnings only with --quiet.
 * `--bench` measures the kernels instead and exits. A worker the coordinator refuses for good exits
 * with one line saying what to fix; a signal ends it within STOP_LIMIT_MS whatever the network does.
 */
import { InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { coordinatorUrl } from './client.js';
import { si } from './format.js';
import { checkAccountKey, loadAccountKey, saveAccountKey } from '../worker/account-file.js';
import { saveBench } from '../worker/bench-cache.js';
import { defaultConfigDir } from '../worker/identity.js';
import { benchKernels } from '../worker/kernel-bench.js';
import { PREFERENCE_KEYS, PREFERENCES, formatValue, mergeLayers, parseValue, resolveThreads, type PreferenceLayer } from '../worker/preferences.js';
import { readPreferencesFile } from '../worker/preference-store.js';
import { lowerSessionPriority } from '../worker/priority.js';
import { REFUSED_EXIT, refusalAdvice } from '../worker/refusal.js';
import { startVolunteer } from '../worker/volunteer.js';
import { LiveView } from '../worker/view.js';

/** A signal or a refusal ends the process within this, even if stopping cleanly hangs on something. */
export const STOP_LIMIT_MS = 8_000;

export interface WorkerFlags {
  coordinator?: string;
  configDir?: string;
  name?: string;
  account?: string;
  finish?: boolean;
  json?: boolean;
  quiet?: boolean;
  bench?: boolean;
  benchSeconds: number;
  [preference: string]: unknown;
}

export const benchSeconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.2 || n > 600) throw new InvalidArgumentError('--bench-seconds must be a number of seconds from 0.2 to 600');
  return n;
};

/** The `idlegrid worker` options of every preference, defaults in the help text (not commander defaults, so an absent flag leaves the config file's value). */
export function preferenceOptions(): Option[] {
  const out: Option[] = [];
  for (const key of PREFERENCE_KEYS) {
    const p = PREFERENCES[key];
    out.push(new Option(p.flag, `${p.help} (default: ${formatValue(p.default)}; config key ${key})`));
    if (p.kind === 'bool') out.push(new Option(`--no-${p.flag.slice(2)}`).hideHelp());
  }
  return out;
}

/** The preferences given as flags, validated like the config file; throws a message naming the flag. */
function flagLayer(flags: WorkerFlags): PreferenceLayer {
  let layer: PreferenceLayer = {};
  for (const key of PREFERENCE_KEYS) {
    const p = PREFERENCES[key];
    const attr = new Option(p.flag).attributeName();
    const v = flags[attr];
    if (v === undefined) continue;
    const parsed = parseValue(key, String(v));
    if (!parsed.ok) throw new Error(`${p.flag.split(' ')[0]}: ${parsed.error}`);
    layer = { ...layer, ...parsed.value };
  }
  return layer;
}

export async function runWorker(flags: WorkerFlags): Promise<void> {
  const configDir = flags.configDir ?? defaultConfigDir();
  const layer = flagLayer(flags);
  if (flags.bench) return runBench(configDir, layer, flags.benchSeconds);

  const json = flags.json ? pino({ base: undefined }) : null;
  const tty = !flags.json && !flags.quiet && process.stdout.isTTY;
  let view: LiveView | undefined;
  const say = (msg: string, extra: Record<string, unknown> = {}) => {
    if (json) json.info(extra, msg);
    else if (flags.quiet) return;
    else if (view) view.log(`${new Date().toLocaleTimeString()}  ${msg}`);
    else process.stdout.write(`${new Date().toLocaleTimeString()}  ${msg}\n`);
  };
  const warn = (msg: string, extra: Record<string, unknown> = {}) => {
    if (json) json.warn(extra, msg);
    else if (view) view.log(`${new Date().toLocaleTimeString()}  warning: ${msg}`);
    else process.stderr.write(`${new Date().toLocaleTimeString()}  warning: ${msg}\n`);
  };

  // An account key given with --account is kept (0600) so restarts keep earning for it without it on
  // the command line, but only once a coordinator has accepted it: a mistyped key must not stick.
  if (flags.account) checkAccountKey(flags.account);
  const saved = flags.account ? undefined : loadAccountKey(configDir);
  const account = flags.account ? { key: flags.account, from: 'flag' as const } : saved ? { key: saved, from: 'file' as const } : undefined;
  const v = await startVolunteer({
    coordinator: coordinatorUrl(flags.coordinator),
    configDir,
    ...(flags.name ? { name: flags.name } : {}),
    ...(account ? { account: account.key } : {}),
    flags: layer,
  });
  const { worker, governor, store } = v;

  // What is in force, and why: every preference with its source, and how each sensor is read.
  say(`worker ${worker.identity.hostId}: ${worker.opts.threads} thread(s), coordinator ${worker.opts.coordinator}, config ${configDir}`, { hostId: worker.identity.hostId, configDir });
  say(`preferences (${store.path}):`, { preferences: store.get() });
  if (!json) for (const d of store.describe()) say(`  ${d.key.padEnd(20)} ${formatValue(d.value).padEnd(12)} ${d.source}`);
  say(`priority: ${lowerSessionPriority()}`);
  const sensors = v.sensors.describe();
  say(`sensors: ${Object.entries(sensors).map(([k, s]) => `${k}: ${s}`).join('; ')}`, { sensors });
  say(`control: idlegrid ctl status|pause|resume|finish|set (port ${v.control?.port} on 127.0.0.1, token in ${configDir}/control.json)`);

  if (tty) {
    view = new LiveView(process.stdout, () => ({ worker: worker.snapshot(), governor: governor.status() }));
    view.start();
  }
  if (!view) worker.on('status', (s) => say(s, { state: s }));
  worker.on('unitDone', (id, s) => say(`finished ${id} in ${s.toFixed(1)} s of compute`, { leaseId: id, computeS: s }));
  worker.on('rejected', (id, code, m) => warn(`result ${id} rejected: ${code}: ${m}`, { leaseId: id, code }));
  worker.on('log', (level, m, extra) => (level === 'warn' ? warn(m, extra) : say(m, extra)));
  store.on('change', (_p, keys) => say(`preferences changed: ${keys.map((k) => `${k}=${formatValue(store.get()[k])}`).join(', ')} (saved in ${store.path})`, { changed: keys }));

  let exiting = false;
  const exit = async (reason: string, code: number) => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => {
      view?.stop();
      warn(`could not stop cleanly within ${STOP_LIMIT_MS / 1000} s; exiting now (units not checkpointed resume from their last checkpoint)`);
      process.exit(code || 1);
    }, STOP_LIMIT_MS);
    force.unref();
    try {
      await v.stop(reason);
    } catch (err) {
      warn(`stopping: ${(err as Error).message}`);
    }
    view?.stop();
    process.exit(code);
  };
  worker.on('connected', () => {
    if (account?.from !== 'flag') return;
    let before: string | undefined;
    try {
      before = loadAccountKey(configDir);
    } catch {
      before = undefined; // a damaged or unsafe file: the accepted key replaces it
    }
    if (before === account.key) return;
    const file = saveAccountKey(configDir, account.key);
    say(`the coordinator accepted the account key; saved it to ${file} for later starts`, { accountFile: file });
  });
  worker.on('refused', (err) => {
    const line = refusalAdvice(err, { coordinator: worker.opts.coordinator, configDir, hostId: worker.identity.hostId, ...(account ? { account } : {}) });
    view?.stop();
    if (json) json.error({ code: err.code }, line);
    else process.stderr.write(`error: ${line}\n`);
    void exit(`refused by the coordinator (${err.code})`, REFUSED_EXIT);
  });
  if (flags.finish) worker.finish();
  worker.on('status', (s) => {
    if (s.startsWith('stopped: finished')) void exit('finished the units in hand', 0);
  });
  let stops = 0;
  const onSignal = (signal: string) => {
    if (++stops > 1) process.exit(130);
    say(`${signal}: stopping at the next slice and saving checkpoints (again to quit at once)`);
    void exit(`worker received ${signal}`, 0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

async function runBench(configDir: string, layer: PreferenceLayer, seconds: number): Promise<void> {
  const prefs = mergeLayers(readPreferencesFile(configDir), layer);
  const threads = resolveThreads(prefs.threads);
  process.stdout.write(`benchmarking each kind's kernel for ${seconds} s on 1 thread${threads > 1 ? `, then ${seconds} s on ${threads} threads` : ''}, at the lowest priority\n`);
  const report = await benchKernels({ threads, seconds, onKind: (k) => process.stdout.write(`  ${k}...\n`) });
  const speed = (ops: number, itemsPerOp: number | null, itemName: string | null) =>
    itemsPerOp !== null && itemName ? `${si(ops * itemsPerOp, `${itemName}/s`)} (${si(ops, 'ops/s')})` : si(ops, 'ops/s');
  const head = ['kind', 'one thread', `all ${threads} threads`, 'scaling'];
  const rows = report.rows.map((r) => [r.kind, speed(r.opsPerSThread, r.itemsPerOp, r.itemName), speed(r.opsPerSAll, r.itemsPerOp, r.itemName), `${(r.opsPerSAll / r.opsPerSThread).toFixed(2)}x`]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
  for (const s of report.skipped) process.stdout.write(`${s.kind}: not benchmarked (${s.why})\n`);
  saveBench(configDir, report.file);
  process.stdout.write(`saved to ${configDir}/bench.json; the worker sends these figures to the coordinator when it connects\n`);
}
