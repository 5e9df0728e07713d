/**
 * The `idlegrid` command. Each subcommand is a thin layer over the coordinator, the worker or the HTTP
 * API; errors print one line a user can act on and set a non-zero exit code, never a stack trace. The
 * coordinator and the demo are loaded only when run: the client commands start in a fraction of the time.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../protocol/index.js';
import { intArg, numArg, numberArg } from './args.js';
import { errorLine } from './errors.js';
import { benchSeconds, preferenceOptions, runWorker } from './run-worker.js';
import { ctlCommand } from './ctl.js';
import { submitCommand } from './submit.js';
import { jobCommands } from './jobs.js';
import { accountCommand } from './account.js';
import { tokenCommand } from './token.js';
import { serviceCommand } from './service.js';

const program = new Command('idlegrid')
  .description('volunteer distributed computing: key searches and radio signal scans on idle machines')
  .version(VERSION, '-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)');

program
  .command('coordinator')
  .description('run a coordinator: HTTP API, dashboard and the WebSocket endpoint for workers')
  .option('--port <n>', 'TCP port', intArg('--port'), 8080)
  .option('--host <addr>', 'address to bind (0.0.0.0 to accept other machines)', '127.0.0.1')
  .option('--redis <url>', 'Redis: redis://HOST[:PORT] (rediss:// for TLS), a primary through Sentinel: redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTERNAME, or a Redis Cluster: redis+cluster://HOST:PORT[,HOST:PORT...] (default: REDIS_URL or redis://127.0.0.1:6379)')
  .option('--redis-timeout <s>', 'seconds to wait for Redis at start before giving up', numberArg('--redis-timeout', 0.1, 3600))
  .option('--prefix <name>', 'namespace of Redis keys; coordinators sharing work share it', 'ig')
  .option('--data-dir <dir>', 'keep uploaded recordings as files in this directory, which every coordinator must share, instead of in Redis (the default)')
  .option('--recording-grace <s>', 'seconds a recording is kept once no job needs it (default: 86400)', numberArg('--recording-grace', 1, 315_360_000))
  .option('--redis-wait-replicas <n>', 'Redis replicas that must hold a job, an upload or a credit grant before it is acknowledged (default: 1 with redis+sentinel://, and with redis+cluster:// when the master holding the state has a replica; else 0)', numArg('--redis-wait-replicas', 0, 16, true))
  .option('--redis-wait-timeout <ms>', 'how long to wait for those replicas before answering anyway (default: 1000)', numArg('--redis-wait-timeout', 1, 60_000, true))
  .option('--verifier-threads <n>', 'threads this coordinator audits results with (default: 1); every coordinator audits for the whole grid (/metrics idlegrid_audits)', numArg('--verifier-threads', 1, 256, true))
  .option('--trust-proxy [proxies]', 'behind a reverse proxy: take client addresses from X-Forwarded-For (optionally only from these proxy addresses)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
  .action(async (flags) => (await import('./run-coordinator.js')).runCoordinator(flags));

const worker = program
  .command('worker')
  .description('run a volunteer worker: computes units at the lowest priority, within the preferences below (also read from preferences.json in the config dir, changed live with `idlegrid ctl set`)')
  .option('--coordinator <url>', 'coordinator URL (default: IDLEGRID_COORDINATOR or http://127.0.0.1:8080)')
  .option('--config-dir <dir>', 'where the host id, preferences, checkpoints and pending results live (default: IDLEGRID_CONFIG_DIR or the user config dir)')
  .option('--name <name>', 'a name for this host on the dashboard')
  .option('--account <key>', 'account key to earn credit with (idlegrid account create)')
  .option('--finish', 'complete the units in hand, fetch no more, then exit')
  .option('--bench', 'measure each kind\'s kernel on this machine, print a table, save it for the coordinator, and exit')
  .option('--bench-seconds <s>', 'seconds per measurement of --bench', benchSeconds, 3)
  .option('--json', 'log one JSON object per line (for services)')
  .option('--quiet', 'log only warnings and errors');
for (const o of preferenceOptions()) worker.addOption(o);
worker.action(runWorker);

ctlCommand(program);

submitCommand(program);
jobCommands(program);
accountCommand(program);
tokenCommand(program);
serviceCommand(program);

program
  .command('demo')
  .description('start Redis if needed, a coordinator, a local worker and a demo key search (npm start)')
  .option('--port <n>', 'coordinator port', intArg('--port'), 8080)
  .option('--redis <url>', 'use this Redis instead of finding or starting one (default: REDIS_URL)')
  .option('--redis-port <n>', 'port where the demo looks for Redis on 127.0.0.1, or starts one', intArg('--redis-port', 1), 6379)
  .option('--threads <n>', 'worker threads', intArg('--threads', 1))
  .action(async (flags) => (await import('./demo.js')).runDemo(flags));

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`${errorLine(err)}\n`);
  process.exitCode = 1;
});
