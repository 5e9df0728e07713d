/** What every `idlegrid submit <kind>` shares: connection and policy flags, submitting, waiting. */
import type { Command } from 'commander';
import { clientFor, coordOpt, timeoutOpt, tokenOpt, type ClientFlags } from './client.js';
import { intArg, numArg } from './args.js';
import { waitForJob } from './wait.js';
import type { JobDoc } from '../protocol/index.js';

export interface CommonFlags extends ClientFlags {
  public?: boolean;
  replicas?: number;
  minQuorum?: number;
  targetResults?: number;
  maxErrorResults?: number;
  maxTotalResults?: number;
  deadline?: number;
  adaptive: boolean;
  priority: number;
  weight: number;
  name?: string;
  wait?: boolean;
  json?: boolean;
}

export function addCommon(cmd: Command): Command {
  return cmd
    .option(...coordOpt)
    .option(...tokenOpt)
    .option(...timeoutOpt)
    .option('--public', 'let anyone read the job\'s parameters and result (default: only you and the admin)')
    .option('--replicas <n>', 'hosts that compute each unit; equal results validate it (sets min quorum and target results)', intArg('--replicas', 1))
    .option('--min-quorum <n>', 'agreeing results needed (BOINC min_quorum; default 2)', intArg('--min-quorum', 1))
    .option('--target-results <n>', 'replicas issued at first (default 2)', intArg('--target-results', 1))
    .option('--max-error-results <n>', 'errors before a unit fails (default 3)', intArg('--max-error-results', 1))
    .option('--max-total-results <n>', 'replicas before a unit fails (default 10)', intArg('--max-total-results', 1))
    .option('--deadline <s>', 'report deadline per replica in seconds (default: from the unit\'s work, at least 300)', intArg('--deadline', 1))
    .option('--no-adaptive', 'always replicate, even on trusted hosts (adaptive replication is on by default)')
    .option('--priority <n>', 'scheduling priority -5..5; each step is worth 4x weight', numArg('--priority', -5, 5, true), 0)
    .option('--weight <w>', 'share of the workers relative to other jobs (more than 0, up to 1000)', numArg('--weight', 0, 1000), 1)
    .option('--name <name>', 'a label for the job')
    .option('--wait', 'show progress until the job ends')
    .option('--json', 'print the job document as JSON on stdout (the final one with --wait), nothing else');
}

function policy(f: CommonFlags): Record<string, unknown> {
  const p: Record<string, unknown> = { adaptive: f.adaptive };
  if (f.replicas) Object.assign(p, { minQuorum: f.replicas, targetResults: f.replicas });
  if (f.minQuorum) p.minQuorum = f.minQuorum;
  if (f.targetResults) p.targetResults = f.targetResults;
  if (f.maxErrorResults) p.maxErrorResults = f.maxErrorResults;
  if (f.maxTotalResults) p.maxTotalResults = f.maxTotalResults;
  if (f.deadline) p.delayBoundS = f.deadline;
  return p;
}

export async function submitAndReport(f: CommonFlags, kind: string, params: unknown): Promise<void> {
  const client = clientFor(f);
  const doc = await client.submit({
    kind, params, policy: policy(f), priority: f.priority, weight: f.weight,
    ...(f.name ? { name: f.name } : {}),
    ...(f.public ? { public: true } : {}),
  });
  if (!f.wait) {
    process.stdout.write(f.json ? `${JSON.stringify(doc)}\n` : `${doc.id}\n`);
    return;
  }
  if (!f.json) process.stdout.write(`${doc.id}\n`);
  const final: JobDoc = await waitForJob(client, doc.id, { bar: process.stderr.isTTY || !f.json });
  if (f.json) process.stdout.write(`${JSON.stringify(final)}\n`);
  if (final.state !== 'done') process.exitCode = 1;
}
