/** An in-process coordinator on a real port with a real Redis, for tests. */
import { pino } from 'pino';
import { buildApp, type Coordinator } from '../../coordinator/app.js';
import type { CoordinatorOptionsInput } from '../../coordinator/options.js';
import { redisUrl, uniquePrefix } from './redis.js';

/** The admin token every test coordinator accepts (set by test/global-setup.ts). */
export const adminToken = (): string => process.env.IDLEGRID_ADMIN_TOKEN!;
/** Headers that make a fetch act as the admin. */
export const adminHeaders = (): Record<string, string> => ({ authorization: `Bearer ${adminToken()}` });

export interface TestCoordinator extends Coordinator {
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/** Recordings go to the default store (Redis) unless `opts.dataDir` names a directory. */
export async function startTestCoordinator(opts: CoordinatorOptionsInput = {}): Promise<TestCoordinator> {
  const coord = await buildApp(
    { redisUrl: redisUrl(), prefix: uniquePrefix('c'), port: 0, sweepMs: 200, logLevel: 'silent', ...opts },
    pino({ level: process.env.IDLEGRID_TEST_LOG ?? 'silent' }),
  );
  await coord.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = coord.app.server.address() as { port: number };
  return {
    ...coord,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    async stop() {
      await coord.close();
    },
  };
}
