import { buildApp } from '../coordinator/app.js';

export interface CoordinatorFlags {
  port: number;
  host: string;
  redis?: string;
  prefix: string;
  dataDir: string;
  trustProxy?: boolean | string;
  logLevel: 'info';
}

export async function runCoordinator(flags: CoordinatorFlags): Promise<void> {
  const coord = await buildApp({
    port: flags.port,
    host: flags.host,
    redisUrl: flags.redis ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: flags.prefix,
    dataDir: flags.dataDir,
    ...(flags.trustProxy !== undefined ? { trustProxy: flags.trustProxy } : {}),
    logLevel: flags.logLevel,
  });
  const { options, app, log } = coord;
  log.info({ options }, 'coordinator options');
  await app.listen({ port: options.port, host: options.host });
  log.info(`coordinator ${options.coordinatorId} listening on http://${options.host}:${options.port} (workers: ws://${options.host}:${options.port}/ws)`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await coord.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
