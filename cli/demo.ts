/**
 * `npm start`: everything on one machine. Finds or starts Redis, starts a coordinator on
 * http://127.0.0.1:8080 and one local worker, submits a demo key search with a freshly planted key,
 * and shows it being found. Ctrl-C stops all of it, Redis too when we started it.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pino } from 'pino';
import { buildApp, type Coordinator } from '../coordinator/app.js';
import { atMost } from '../coordinator/store/ready.js';
import { startFailure } from './run-coordinator.js';
import { ADMIN_TOKEN_ENV, newToken } from '../coordinator/auth.js';
import { VolunteerWorker } from '../worker/worker.js';
import { demoJobKey, makeDemoJob } from '../workunits/keysearch/kind.js';
import { Client } from './client.js';
import { pingRedis, startRedis, type LaunchedRedis } from './redis-launcher.js';
import { waitForJob } from './wait.js';

/** 2^28 keys in 64 units: long enough to watch on the dashboard, short enough to find within a minute. */
const DEMO_SIZE = { count: 2 ** 28, unitSize: 2 ** 22 };

const say = (msg: string) => process.stdout.write(`[idlegrid] ${msg}\n`);

export async function runDemo(flags: { port: number; redis?: string; redisPort: number; threads?: number }): Promise<void> {
  let launched: LaunchedRedis | undefined;
  let redisUrl = flags.redis ?? process.env.REDIS_URL;
  if (!redisUrl) {
    redisUrl = `redis://127.0.0.1:${flags.redisPort}`;
    if (await pingRedis(redisUrl)) say(`using the Redis already running at ${redisUrl}`);
    else {
      const dir = resolve('.data/redis');
      say(`no Redis on 127.0.0.1:${flags.redisPort}; starting redis-server (append-only file in ${dir})`);
      launched = await startRedis({ port: flags.redisPort, dir });
    }
  }
  // The demo makes the admin token itself (unless one is set) so that it can print it and submit with it.
  const adminToken = process.env[ADMIN_TOKEN_ENV] || newToken('iga');
  process.env[ADMIN_TOKEN_ENV] = adminToken;
  let coord: Coordinator | undefined;
  try {
    coord = await buildApp({ port: flags.port, host: '127.0.0.1', redisUrl, logLevel: 'warn' }, pino({ level: 'warn' }));
    await coord.app.listen({ port: flags.port, host: '127.0.0.1' });
  } catch (err) {
    // Whatever was started is stopped again, and the reason is one line (the port, most often).
    if (coord) await atMost(coord.close(), 5_000);
    await launched?.stop();
    process.stderr.write(`error: ${startFailure(err as NodeJS.ErrnoException, { host: '127.0.0.1', port: flags.port })}${(err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ' (npm start -- --port N)' : ''}\n`);
    process.exit(1);
  }
  const coordinator = coord;
  const url = `http://127.0.0.1:${flags.port}`;
  say(`coordinator listening on ${url}  (dashboard ${url}/, API ${url}/api/jobs, workers ${url.replace('http', 'ws')}/ws)`);
  say(`admin token: ${adminToken}`);
  say(`  use it for client commands: export IDLEGRID_TOKEN=${adminToken}   (or pass --token)`);

  const threads = flags.threads ?? Math.max(1, availableParallelism());
  const worker = new VolunteerWorker({ coordinator: url, threads, bufferUnits: 2, configDir: resolve('.data/demo-worker'), sliceMs: 100, checkpointIntervalS: 60 });
  worker.on('status', (s) => say(`worker: ${s}`));
  // A refusal that retrying cannot fix (a protocol mismatch, say) ends the demo instead of looping.
  worker.on('refused', (e) => {
    process.stderr.write(`error: the coordinator refused the demo's worker: ${e.code}: ${e.message}\n`);
    void stop(1);
  });
  worker.start();
  say(`local worker ${worker.identity.hostId} started with ${threads} thread(s)`);

  let stopping = false;
  async function stop(code = 0): Promise<void> {
    if (stopping) return process.exit(130);
    stopping = true;
    say('stopping the worker, the coordinator' + (launched ? ' and redis-server' : '') + '...');
    await worker.stop('demo stopped');
    await coordinator.close();
    await launched?.stop();
    say('stopped');
    process.exit(code);
  }
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const seed = randomBytes(16);
  const demo = { params: makeDemoJob(seed, DEMO_SIZE), key: demoJobKey(seed, DEMO_SIZE) };
  const client = new Client(url, adminToken);
  // The default policy: each unit computed once by the worker, and audited by the coordinator's verifier
  // (in full for the worker's first results, while it earns trust).
  const job = await client.submit({ kind: 'keysearch', name: 'demo: find a planted RC5-72 key', params: demo.params });
  say(`submitted demo job ${job.id}: rc5-32/12/9, ${job.progress.itemsTotal} keys in ${job.progress.unitsTotal} units (the planted key is ${demo.key})`);
  const final = await waitForJob(client, job.id, { bar: true, intervalMs: 500 });
  const found = (final.result as { found?: Array<{ key: string }> } | null)?.found ?? [];
  if (final.state === 'done' && found.some((f) => f.key === demo.key)) say(`found the key ${demo.key}; job ${final.id} is done. Try: IDLEGRID_TOKEN=${adminToken} npx idlegrid result ${final.id}`);
  else say(`the demo job ended ${final.state} without the planted key: ${JSON.stringify(final.result)}`);
  say(`still running: coordinator ${url}, one worker. Submit more with \`npx idlegrid submit keysearch ...\`; Ctrl-C stops everything.`);
}
