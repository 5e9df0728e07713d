/**
 * `idlegrid coordinator`: start, listen, and stop on a signal. A start that cannot succeed (port taken,
 * an address not of this machine, a bad admin token, Redis not reachable in time) ends the process with
 * one line saying what was wrong and exit code 1, within seconds; SIGTERM or SIGINT end it within 10 s
 * whatever state Redis or the network is in.
 */
import { buildApp, type Coordinator } from '../coordinator/app.js';
import { atMost, redactRedisUrl } from '../coordinator/store/ready.js';

export interface CoordinatorFlags {
  port: number;
  host: string;
  redis?: string;
  redisTimeout?: number;
  prefix: string;
  dataDir?: string;
  recordingGrace?: number;
  redisWaitReplicas?: number;
  redisWaitTimeout?: number;
  verifierThreads?: number;
  trustProxy?: boolean | string;
  logLevel: 'info';
}

/** How long a signalled coordinator may take to close before it exits anyway. */
const STOP_DEADLINE_MS = 9_000;

export async function runCoordinator(flags: CoordinatorFlags): Promise<void> {
  let coord: Coordinator | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    coord?.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      process.stderr.write(`${signal}: the coordinator did not close within ${STOP_DEADLINE_MS / 1000} s; exiting anyway\n`);
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    if (coord) await coord.close();
    process.exit(0);
  };
  // Installed first: a signal during start-up (waiting for Redis, say) ends the process too.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    coord = await buildApp({
      port: flags.port,
      host: flags.host,
      redisUrl: flags.redis ?? (process.env.REDIS_URL || 'redis://127.0.0.1:6379'),
      ...(flags.redisTimeout !== undefined ? { redisTimeoutS: flags.redisTimeout } : {}),
      prefix: flags.prefix,
      ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
      ...(flags.recordingGrace !== undefined ? { recordingGraceS: flags.recordingGrace } : {}),
      ...(flags.redisWaitReplicas !== undefined ? { redisWaitReplicas: flags.redisWaitReplicas } : {}),
      ...(flags.redisWaitTimeout !== undefined ? { redisWaitTimeoutMs: flags.redisWaitTimeout } : {}),
      ...(flags.verifierThreads !== undefined ? { verifierThreads: flags.verifierThreads } : {}),
      ...(flags.trustProxy !== undefined ? { trustProxy: flags.trustProxy } : {}),
      logLevel: flags.logLevel,
    });
    const { options, app, log } = coord;
    log.info({ options: { ...options, redisUrl: redactRedisUrl(options.redisUrl) } }, 'coordinator options');
    await app.listen({ port: options.port, host: options.host });
    log.info(`coordinator ${options.coordinatorId} listening on http://${options.host}:${options.port} (workers: ws://${options.host}:${options.port}/ws)`);
  } catch (err) {
    if (stopping) return;
    if (coord) await atMost(coord.close(), 5_000);
    process.stderr.write(`error: ${startFailure(err as NodeJS.ErrnoException, flags)}\n`);
    process.exit(1);
  }
}

/** One line a user can act on, for whatever stopped the start. */
export function startFailure(err: NodeJS.ErrnoException, flags: Pick<CoordinatorFlags, 'host' | 'port'>): string {
  const where = `${flags.host}:${flags.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the port is already in use (another coordinator?); choose another with --port`;
    case 'EACCES':
      return `cannot listen on ${where}: permission denied (ports below 1024 need root); choose a port above 1023 with --port`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: ${flags.host} is not an address of this machine; use --host 127.0.0.1, 0.0.0.0 or one of its own addresses`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where}: ${flags.host} is not a valid address or a name this machine resolves (--host)`;
    default:
      return err.message;
  }
}
