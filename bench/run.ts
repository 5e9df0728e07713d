/**
 * `npm run bench`: runs every bench/*.bench.ts (each default-exports a Bench, see section.ts) with
 * { smoke: false, reps: 3 }, prints each section's table and rewrites docs/benchmarks.md.
 *
 *   npm run bench                        everything (under 10 minutes on 2 cores)
 *   npm run bench -- --only throughput   one benchmark (comma-separated for several); its section of
 *                                        docs/benchmarks.md is replaced, the others are kept
 *   npm run bench -- --smoke             tiny sizes, one repetition: checks the scripts, writes nothing
 *   npm run bench -- --no-write          measure and print, leave docs/benchmarks.md alone
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchSection } from './section.js';
import { describeMachine, machineFacts, type MachineFacts } from './lib/machine.js';
import { killAll } from './lib/procs.js';
import { goalsTable, parseSections, printSection, sectionMarkdown } from './lib/report.js';

const here = dirname(fileURLToPath(import.meta.url));
const DOC = join(here, '..', 'docs', 'benchmarks.md');

/** Kernels first (they need a quiet machine most), then the coordinator, then whole-system ones. */
const ORDER = ['keysearch-kernel', 'fft', 'seti-reference', 'browser', 'throughput', 'redis-time', 'connections', 'queue-depth', 'scale-out', 'cluster', 'recordings', 'failover', 'end-to-end', 'politeness', 'efficiency', 'trust'];

export function discover(dir = here): Array<{ id: string; file: string }> {
  const found = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => ({ id: basename(f, '.bench.ts'), file: join(dir, f) }));
  const rank = (id: string) => (ORDER.includes(id) ? ORDER.indexOf(id) : ORDER.length);
  return found.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
}

export async function loadBench(file: string): Promise<Bench> {
  const mod = (await import(pathToFileURL(file).href)) as { default?: Bench };
  if (typeof mod.default !== 'function') throw new Error(`${basename(file)} has no default-exported Bench`);
  return mod.default;
}

interface Args {
  only: string[];
  smoke: boolean;
  reps: number;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { only: [], smoke: false, reps: 3, write: true };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--only') a.only.push(...(argv[++i] ?? '').split(',').filter(Boolean));
    else if (v.startsWith('--only=')) a.only.push(...v.slice(7).split(',').filter(Boolean));
    else if (v === '--smoke') a.smoke = true;
    else if (v === '--no-write') a.write = false;
    else if (v === '--reps') a.reps = Number(argv[++i]);
    else throw new Error(`unknown option ${v}; use --only <id>[,<id>], --smoke, --reps <n>, --no-write`);
  }
  if (!Number.isInteger(a.reps) || a.reps < 1) throw new Error('--reps must be a whole number >= 1');
  if (!a.smoke && a.reps < 3) throw new Error('--reps must be at least 3 for a real run (the spread needs it)');
  return a;
}

function header(m: MachineFacts, totalS: number, full: boolean): string {
  return [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts); do not edit between the `bench:` markers, rerun instead.',
    'The machines are shared and noisy, so every figure sits beside a reference measured in the same run on',
    'the same machine, and the ratio is what to read. Each value is the median of at least 3 repetitions;',
    'spread = (max - min) / median. Benchmarks and their references live in bench/ (references in bench/ref',
    'are ours). A smoke run of every benchmark at tiny sizes is part of `npm test` (test/bench-smoke.test.ts).',
    '',
    '## Machine',
    '',
    `- CPU: ${m.cpu}`,
    `- Cores: ${m.cores}; memory: ${m.memoryGiB} GiB`,
    `- Node ${m.node}; Redis ${m.redis} (started by each benchmark on a free loopback port, in memory, no AOF)`,
    `- OS: ${m.os}`,
    `- Last written: ${m.date}${full ? ` by a full run that took ${Math.round(totalS)} s` : ' (a partial run, `--only`; other sections keep their own dates)'}; load average at start ${m.loadAvg}`,
    '',
    'Reproduce everything: `npm run bench`. One section: `npm run bench -- --only <id>`.',
    '',
  ].join('\n');
}

function failedSection(id: string, err: unknown): BenchSection {
  return {
    id,
    title: `${id} (FAILED)`,
    command: `npm run bench -- --only ${id}`,
    rows: [],
    notes: [`The benchmark failed in this run: ${((err as Error).message ?? String(err)).split('\n')[0].slice(0, 400)}`],
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const all = discover();
  const unknown = args.only.filter((id) => !all.some((b) => b.id === id));
  if (unknown.length) throw new Error(`no benchmark named ${unknown.join(', ')}; there are: ${all.map((b) => b.id).join(', ')}`);
  const chosen = args.only.length ? all.filter((b) => args.only.includes(b.id)) : all;
  const machine = machineFacts();
  process.stdout.write(`idlegrid benchmarks${args.smoke ? ' (smoke sizes)' : ''}: ${chosen.map((b) => b.id).join(', ')}\n${describeMachine(machine)}; load ${machine.loadAvg}\n\n`);

  const started = performance.now();
  const sections: Array<{ section: BenchSection; measured: string }> = [];
  let failures = 0;
  for (const b of chosen) {
    const t0 = performance.now();
    const load = loadavg()[0].toFixed(2);
    let section: BenchSection;
    try {
      const bench = await loadBench(b.file);
      section = await bench({ smoke: args.smoke, reps: args.reps });
    } catch (err) {
      failures++;
      section = failedSection(b.id, err);
      process.stderr.write(`${b.id} failed: ${(err as Error).stack ?? String(err)}\n`);
    } finally {
      killAll();
    }
    const secs = (performance.now() - t0) / 1000;
    printSection(section);
    process.stdout.write(`  (${b.id}: ${secs.toFixed(1)} s)\n\n`);
    sections.push({ section, measured: `${machine.date.slice(0, 16).replace('T', ' ')} UTC on ${machine.cores} cores (${machine.cpu}), in ${secs.toFixed(0)} s; 1-minute load average when it started: ${load}` });
  }
  const total = (performance.now() - started) / 1000;
  process.stdout.write(`total ${total.toFixed(1)} s\n`);

  if (args.smoke || !args.write) {
    process.stdout.write(args.smoke ? 'smoke run: docs/benchmarks.md left as it was\n' : '--no-write: docs/benchmarks.md left as it was\n');
  } else {
    const old = existsSync(DOC) ? parseSections(readFileSync(DOC, 'utf8')) : new Map<string, string>();
    const fresh = new Map(sections.map(({ section, measured }) => [section.id, sectionMarkdown(section, measured)]));
    // Document order follows the benchmarks' order; a section id may differ from its file's name.
    const idOf = new Map(chosen.map((b, i) => [b.id, sections[i].section.id]));
    const ids = [...new Set([...all.map((b) => idOf.get(b.id) ?? b.id), ...old.keys()])];
    const body = ids.map((id) => fresh.get(id) ?? old.get(id)).filter((s): s is string => !!s);
    writeFileSync(DOC, `${header(machine, total, !args.only.length)}\n${goalsTable(body)}\n\n${body.join('\n\n')}\n`);
    process.stdout.write(`wrote ${DOC}\n`);
  }
  if (failures) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).message ?? String(err)}\n`);
    killAll();
    process.exitCode = 1;
  });
}
