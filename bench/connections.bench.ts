/**
 * Connections: 10,000 simulated hosts (in 4 processes) connect to one coordinator process, say hello and
 * heartbeat. We read the coordinator's memory before and after (resident set from /proc, and the V8 heap
 * through its inspector after a full GC) and time each heartbeat to its ack at the host.
 * Reference in the same run: a bare `ws` server (bench/sim/ws-echo.ts) under the same 10,000 hosts.
 * Goals: under 50 KB of coordinator memory per connection; heartbeat round trip p99 under 100 ms.
 * Also the Redis CPU that hosts' signs of life cost (presence.ts writes them in batches), per heartbeat.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LIMITS } from '../coordinator/security.js';
import type { Bench, BenchRow } from './section.js';
import { startCoordinator } from './lib/coordinator.js';
import { Inspector, inspectorUrl, type MemoryUsage } from './lib/inspector.js';
import { simProblems } from './lib/load.js';
import { captureOutput, cpuSeconds, forkTs, killAll, rssBytes, sleep, stopProcess, waitFor, ROOT } from './lib/procs.js';
import { startBenchRedis, type BenchRedis } from './lib/redis.js';
import { printSection } from './lib/report.js';
import { SimGroup } from './lib/sim.js';
import { fmt, percentile, row } from './lib/stats.js';

export const SIZES = {
  full: { hosts: 10_000, processes: 4, heartbeatMs: 5_000, windowMs: 5_000 },
  smoke: { hosts: 60, processes: 2, heartbeatMs: 1_000, windowMs: 1_000 },
};

/** The coordinator caps WebSocket connections per client address (LIMITS.wsPerIp): stay well under. */
const HOSTS_PER_ADDRESS = Math.max(1, Math.floor(LIMITS.wsPerIp * 0.8));

interface Cycle {
  /** Bytes per connection, resident set and V8 heap (after a full GC), steady state after heartbeats. */
  rssPerConn: number;
  heapPerConn: number;
  rtt: number[];
  connectS: number;
  /** Redis CPU over the heartbeat window per heartbeat acknowledged in it (µs); NaN for the bare server. */
  redisUsPerBeat: number;
  before: MemoryUsage;
  after: MemoryUsage;
}

interface Server {
  name: string;
  wsUrl: string;
  pid: number;
  inspector: Inspector;
  stop(): Promise<void>;
}

async function coordinatorServer(redis: BenchRedis, prefix: string, hosts: number): Promise<Server> {
  const c = await startCoordinator({ redisUrl: redis.url, prefix, inspect: true, fds: hosts + 2_000 });
  return { name: 'the coordinator', wsUrl: c.wsUrl, pid: c.pid, inspector: c.inspector!, stop: () => c.stop() };
}

async function bareWsServer(hosts: number): Promise<Server> {
  const proc = forkTs('bench/sim/ws-echo.ts', [], { fds: hosts + 2_000, nodeArgs: ['--inspect=127.0.0.1:0'] });
  const output = captureOutput(proc);
  const port = await waitFor('the bare ws server', () => {
    if (proc.exitCode !== null) throw new Error(`ws-echo exited: ${output()}`);
    return /port=(\d+)/.exec(output())?.[1];
  }, 20_000);
  const inspector = await Inspector.connect(await waitFor('its inspector', () => inspectorUrl(output()), 10_000));
  return {
    name: 'the bare ws server',
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    pid: proc.pid!,
    inspector,
    async stop() {
      inspector.close();
      await stopProcess(proc, 'SIGTERM', 3_000);
    },
  };
}

async function cycle(server: Server, sims: SimGroup, size: (typeof SIZES)['full'], redisPid?: number): Promise<Cycle> {
  try {
    await sleep(500);
    const before = await server.inspector.memory();
    const rss0 = rssBytes(server.pid);
    const t0 = performance.now();
    await sims.connect({
      mode: 'heartbeat', urls: [server.wsUrl], hosts: size.hosts, processes: size.processes, threads: 1, batch: 1,
      heartbeatMs: size.heartbeatMs, connectConcurrency: 50, hostsPerAddress: HOSTS_PER_ADDRESS,
    });
    const connectS = (performance.now() - t0) / 1000;
    // Each host's first heartbeat comes at a random phase within one period: a window of one period
    // from the start holds about one heartbeat per host, spread evenly.
    await sims.mark();
    const redisCpu = () => (redisPid ? cpuSeconds(redisPid) : NaN);
    const cpu0 = redisCpu();
    await sims.run();
    await sleep(size.windowMs);
    const st = await sims.stats();
    const redisUsPerBeat = ((redisCpu() - cpu0) * 1e6) / st.heartbeatMs.length;
    const problem = simProblems(st);
    if (problem) throw new Error(`hosts of ${server.name} saw errors: ${problem}`);
    if (st.heartbeatMs.length < size.hosts * 0.5) throw new Error(`only ${st.heartbeatMs.length} heartbeats acknowledged in the window`);
    await sims.pause();
    const after = await server.inspector.memory();
    const rss1 = rssBytes(server.pid);
    return {
      rssPerConn: (rss1 - rss0) / size.hosts,
      heapPerConn: (after.heapUsed - before.heapUsed) / size.hosts,
      rtt: st.heartbeatMs,
      connectS,
      redisUsPerBeat,
      before,
      after,
    };
  } finally {
    await sims.disconnect();
  }
}

const bench: Bench = async (opts) => {
  const size = opts.smoke ? SIZES.smoke : SIZES.full;
  const reps = opts.smoke ? 1 : Math.max(3, opts.reps);
  let redis: BenchRedis | undefined;
  let sims: SimGroup | undefined;
  try {
    redis = await startBenchRedis();
    sims = SimGroup.spawn(size.processes, Math.ceil(size.hosts / size.processes) + 1_000);
    const ours: Cycle[] = [];
    const ref: Cycle[] = [];
    for (let r = 0; r < reps; r++) {
      // A fresh server each time: every repetition measures 0 -> N connections.
      for (const [list, start, redisPid] of [[ref, () => bareWsServer(size.hosts), undefined], [ours, () => coordinatorServer(redis!, `bcon${r}`, size.hosts), redis.pid]] as const) {
        const server = await start();
        try {
          list.push(await cycle(server, sims, size, redisPid));
        } finally {
          await server.stop();
        }
      }
    }
    const kb = (c: Cycle[], f: (c: Cycle) => number) => c.map((x) => f(x) / 1024);
    const refName = `bare ws server (ws ${wsVersion()}), same hosts`;
    const rows: BenchRow[] = [
      row({
        metric: `coordinator resident memory per connection (${fmt(size.hosts)} hosts)`, unit: 'KB',
        ours: kb(ours, (c) => c.rssPerConn), ref: { name: refName, values: kb(ref, (c) => c.rssPerConn) },
        goal: '< 50 KB', met: (v) => v < 50,
      }),
      row({
        metric: 'coordinator V8 heap per connection (after full GC)', unit: 'KB',
        ours: kb(ours, (c) => c.heapPerConn), ref: { name: refName, values: kb(ref, (c) => c.heapPerConn) },
      }),
      row({
        metric: 'heartbeat round trip p50', unit: 'ms',
        ours: ours.map((c) => percentile(c.rtt, 50)), ref: { name: refName, values: ref.map((c) => percentile(c.rtt, 50)) },
      }),
      row({
        metric: 'heartbeat round trip p99', unit: 'ms',
        ours: ours.map((c) => percentile(c.rtt, 99)), ref: { name: refName, values: ref.map((c) => percentile(c.rtt, 99)) },
        goal: '< 100 ms', met: (v) => v < 100,
      }),
      row({
        metric: 'Redis CPU per heartbeat (signs of life, transitioner)', unit: 'µs',
        ours: ours.map((c) => c.redisUsPerBeat),
      }),
      row({
        metric: `time to connect and greet ${fmt(size.hosts)} hosts`, unit: 's',
        ours: ours.map((c) => c.connectS), ref: { name: refName, values: ref.map((c) => c.connectS) },
      }),
    ];
    const mid = ours[Math.floor(ours.length / 2)];
    return {
      id: 'connections',
      title: `Connections: ${fmt(size.hosts)} heartbeating hosts on one coordinator`,
      command: 'npm run bench -- --only connections',
      rows,
      notes: [
        `${fmt(size.hosts)} simulated hosts in ${size.processes} processes, spread over loopback addresses 127.77.x.y (${HOSTS_PER_ADDRESS} per address: the coordinator admits at most ${LIMITS.wsPerIp} per client address, and ${fmt(LIMITS.wsTotal)} in all). Each says hello with its own host id, then heartbeats every ${size.heartbeatMs / 1000} s (the coordinator advises 15 s; faster here so the window holds about one heartbeat per host) from a random phase; round trips are timed at the host over a ${size.windowMs / 1000} s window, about ${fmt(mid.rtt.length)} samples per repetition.`,
        'Redis CPU per heartbeat = the Redis process\'s CPU time over the heartbeat window / heartbeats acknowledged in it; it includes the transitioner\'s sweeps each second (docs/scaling.md, host bookkeeping, has it before and after signs of life were batched).',
        'Memory per connection = (after - before) / hosts, both read after a full GC through the inspector; "after" is the steady state following the heartbeat window. A fresh server process per repetition.',
        `Coordinator in one repetition: heap ${fmt(mid.before.heapUsed / 2 ** 20, 1)} -> ${fmt(mid.after.heapUsed / 2 ** 20, 1)} MB, resident ${fmt(mid.before.rss / 2 ** 20, 1)} -> ${fmt(mid.after.rss / 2 ** 20, 1)} MB. Kernel socket buffers are not part of a process's resident memory and are not counted.`,
      ],
    };
  } finally {
    await sims?.close().catch(() => {});
    await redis?.stop().catch(() => {});
    killAll();
  }
};

function wsVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}/node_modules/ws/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printSection(await bench({ smoke: process.argv.includes('--smoke'), reps: 3 }));
}
