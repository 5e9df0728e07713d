import { pino } from 'pino';
import { coordinatorUrl } from './client.js';
import { resolveWorkerOptions } from '../worker/options.js';
import { VolunteerWorker } from '../worker/worker.js';

export interface WorkerFlags {
  coordinator?: string;
  threads?: number;
  buffer: number;
  configDir?: string;
  name?: string;
  account?: string;
  checkpointInterval: number;
  finish?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function runWorker(flags: WorkerFlags): Promise<void> {
  const opts = resolveWorkerOptions({
    coordinator: coordinatorUrl(flags.coordinator),
    ...(flags.threads ? { threads: flags.threads } : {}),
    bufferUnits: flags.buffer,
    ...(flags.configDir ? { configDir: flags.configDir } : {}),
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.account ? { account: flags.account } : {}),
    checkpointIntervalS: flags.checkpointInterval,
  });
  const log = pino({
    level: flags.quiet ? 'warn' : 'info',
    ...(flags.json ? {} : { transport: undefined, base: undefined, timestamp: false, formatters: { level: () => ({}) } }),
  });
  const worker = new VolunteerWorker(opts);
  const say = flags.json
    ? (msg: string, extra: Record<string, unknown> = {}) => log.info(extra, msg)
    : (msg: string) => !flags.quiet && process.stdout.write(`${new Date().toLocaleTimeString()}  ${msg}\n`);
  say(`worker ${worker.identity.hostId}: ${opts.threads} thread(s), coordinator ${opts.coordinator}, config ${opts.configDir}`, { options: opts });
  worker.on('status', (s) => say(s, { state: s }));
  worker.on('unitDone', (id, s) => say(`finished ${id} in ${s.toFixed(1)} s of compute`, { leaseId: id, computeS: s }));
  worker.on('rejected', (id, code, m) => log.warn({ leaseId: id, code }, `result ${id} rejected: ${code}: ${m}`));
  worker.on('log', (level, m, extra) => (level === 'warn' ? log.warn(extra ?? {}, m) : say(m, extra)));
  worker.start();
  if (flags.finish) worker.finish();
  let stops = 0;
  const stop = (signal: string) => {
    if (++stops > 1) process.exit(130);
    say(`${signal}: stopping at the next slice and saving checkpoints (again to quit at once)`);
    void worker.stop(`worker received ${signal}`).then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  worker.on('status', (s) => {
    if (s.startsWith('stopped: finished')) process.exit(0);
  });
}
