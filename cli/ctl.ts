/**
 * `idlegrid ctl status | pause | resume | finish | set KEY VALUE`: talks to the running worker's
 * control interface on 127.0.0.1, with the token from control.json in its config directory.
 */
import type { Command } from 'commander';
import { duration, si } from './format.js';
import { readControlFile } from '../worker/control-file.js';
import { defaultConfigDir } from '../worker/identity.js';
import { PREFERENCE_KEYS, formatValue } from '../worker/preferences.js';
import type { GovernorStatus } from '../worker/governor.js';
import type { WorkerSnapshot } from '../worker/status.js';

interface Status {
  worker: WorkerSnapshot;
  governor: GovernorStatus;
  preferences: Array<{ key: string; value: unknown; source: string }>;
  preferencesFile: string;
}

/** A worker answers its control interface at once; one that does not within this is stopped or stuck. */
const ANSWER_MS = 10_000;

async function call<T>(configDir: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const ep = readControlFile(configDir);
  const where = `127.0.0.1:${ep.port}`;
  let res: Response;
  let data: T & { error?: { code: string; message: string } };
  try {
    res = await fetch(`http://${where}${path}`, {
      method,
      headers: { authorization: `Bearer ${ep.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(ANSWER_MS),
    });
    data = (await res.json()) as typeof data;
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError') throw new Error(`the worker (pid ${ep.pid}) did not answer on ${where} within ${ANSWER_MS / 1000} s: it may be suspended (kill -CONT ${ep.pid}) or stuck; restart it if this persists`);
    if (name === 'SyntaxError') throw new Error(`what answers on ${where} is not an idlegrid worker (control.json in ${configDir} is out of date): restart the worker to rewrite it`);
    throw new Error(`the worker (pid ${ep.pid}) does not answer on ${where}; it may have been killed: start it again`);
  }
  if (!res.ok) throw new Error(`${data.error?.code ?? res.status}: ${data.error?.message ?? 'request failed'}`);
  return data;
}

function printStatus(s: Status): void {
  const w = s.worker;
  const g = s.governor;
  const lines = [
    `worker ${w.name ?? w.hostId} -> ${w.coordinator} (${w.connected ? 'connected' : 'not connected'})`,
    `state: ${w.state}`,
    `threads ${w.threads}; ${w.units.length} running, ${w.buffered} ready, ${w.outbox} result(s) waiting to be sent; ${w.unitsDone} done`,
    `credit today: ${w.credit.granted.toFixed(2)} granted, ${w.credit.claimed.toFixed(2)} awaiting validation`,
    ...w.units.map((u) => `  #${u.slot + 1} ${u.kind} ${u.leaseId}: ${(u.fraction * 100).toFixed(1)}%, ${u.paused ? 'paused' : `ETA ${duration(u.etaS)}`}, ${u.itemName && u.itemsPerS !== null ? si(u.itemsPerS, `${u.itemName}/s`) : si(u.opsPerS, 'ops/s')}`),
    `readings: idle ${g.readings.idleS === null ? 'unknown' : String(g.readings.idleS) === 'Infinity' ? 'always (no display session)' : `${Math.round(g.readings.idleS)} s`}, other programs' CPU ${g.readings.otherCpu === null ? 'not measured yet' : `${Math.round(g.readings.otherCpu * 100)}%`}, battery ${g.readings.onBattery === null ? 'unknown' : g.readings.onBattery ? 'yes' : 'no'}, CPU ${g.readings.tempC === null ? 'no sensor' : `${Math.round(g.readings.tempC)} C`}, memory ${si(g.readings.memoryBytes, 'B')}`,
    `preferences (${s.preferencesFile}):`,
    ...s.preferences.map((p) => `  ${p.key.padEnd(20)} ${formatValue(p.value).padEnd(12)} ${p.source}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function ctlCommand(program: Command): void {
  const ctl = program
    .command('ctl')
    .description('control a running worker on this machine (like boinccmd or fahctl)')
    .option('--config-dir <dir>', 'the config directory of the worker to control (default: IDLEGRID_CONFIG_DIR or the user config dir)');
  const dir = (): string => (ctl.opts() as { configDir?: string }).configDir ?? defaultConfigDir();

  ctl.command('status')
    .description('what the worker is doing and why, its units, readings and preferences')
    .option('--json', 'print the status as JSON')
    .action(async (o: { json?: boolean }) => {
      const s = await call<Status>(dir(), 'GET', '/v1/status');
      if (o.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      else printStatus(s);
    });
  ctl.command('pause').description('stop computing until `idlegrid ctl resume`').action(async () => {
    await call(dir(), 'POST', '/v1/pause');
    process.stdout.write('paused; `idlegrid ctl resume` to compute again\n');
  });
  ctl.command('resume').description('lift a pause made with `idlegrid ctl pause` (the preferences still apply)').action(async () => {
    await call(dir(), 'POST', '/v1/resume');
    process.stdout.write('resumed\n');
  });
  ctl.command('finish').description('complete the units in hand, fetch no more, then exit').action(async () => {
    await call(dir(), 'POST', '/v1/finish');
    process.stdout.write('finishing the units in hand; the worker exits when they are done\n');
  });
  ctl.command('set')
    .description(`change a preference now and keep it in the config file (keys: ${PREFERENCE_KEYS.join(', ')})`)
    .argument('<key>', 'preference name, as in the config file (idlegrid worker --help lists them)')
    .argument('<value>', 'new value, e.g. 50%, 75, yes, "22:00-07:00"')
    .action(async (key: string, value: string) => {
      const r = await call<{ key: string; value: unknown }>(dir(), 'POST', '/v1/set', { key, value });
      process.stdout.write(`${r.key} = ${formatValue(r.value)}\n`);
    });
}
