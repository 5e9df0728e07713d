/**
 * `idlegrid status | result | jobs | cancel`. Each takes --token (or IDLEGRID_TOKEN): without the owner's
 * token a private job shows only its state and progress, and cancelling it is refused.
 */
import type { Command } from 'commander';
import { clientFor, coordOpt, timeoutOpt, tokenOpt, type ClientFlags } from './client.js';
import { jobTable, summary } from './format.js';

type Flags = ClientFlags & { json?: boolean };
const PRIVATE = 'it is private: pass its owner\'s token (or the admin token) with --token or IDLEGRID_TOKEN';

export function jobCommands(program: Command): void {
  program
    .command('status')
    .description('show a job\'s state and progress')
    .argument('<job>', 'job id')
    .option(...coordOpt)
    .option(...timeoutOpt)
    .option(...tokenOpt)
    .option('--json', 'print the job document as JSON')
    .action(async (id: string, f: Flags) => {
      const { doc, redacted } = await clientFor(f).jobAccess(id);
      process.stdout.write(f.json ? `${JSON.stringify(doc)}\n` : `${summary(doc)}\n`);
      if (redacted && !f.json) process.stderr.write(`(name, parameters and result hidden: ${PRIVATE})\n`);
    });

  program
    .command('result')
    .description('print a finished job\'s result as JSON')
    .argument('<job>', 'job id')
    .option(...coordOpt)
    .option(...timeoutOpt)
    .option(...tokenOpt)
    .action(async (id: string, f: Flags) => {
      const { doc, redacted } = await clientFor(f).jobAccess(id);
      if (redacted) {
        process.stderr.write(`cannot show the result of job ${id}: ${PRIVATE}\n`);
        process.exitCode = 1;
        return;
      }
      if (doc.result === null) {
        process.stderr.write(`job ${id} has no result yet (state: ${doc.state}); try \`idlegrid status ${id}\`\n`);
        process.exitCode = doc.state === 'queued' || doc.state === 'running' ? 3 : 1;
        return;
      }
      process.stdout.write(`${JSON.stringify(doc.result, null, 2)}\n`);
    });

  program
    .command('jobs')
    .description('list jobs, newest first')
    .option(...coordOpt)
    .option(...timeoutOpt)
    .option(...tokenOpt)
    .option('--json', 'print the job documents as JSON')
    .action(async (f: Flags) => {
      const { jobs } = await clientFor(f).jobs();
      if (f.json) return void process.stdout.write(`${JSON.stringify(jobs)}\n`);
      if (!jobs.length) return void process.stdout.write('no jobs\n');
      process.stdout.write(jobTable(jobs));
    });

  program
    .command('cancel')
    .description('cancel a job; hosts are told to drop its units')
    .argument('<job>', 'job id')
    .option(...coordOpt)
    .option(...timeoutOpt)
    .option(...tokenOpt)
    .action(async (id: string, f: Flags) => {
      const doc = await clientFor(f).cancel(id);
      process.stdout.write(`job ${doc.id}: ${doc.state}\n`);
    });
}
