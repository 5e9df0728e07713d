import type { JobDoc } from '../protocol/index.js';
import type { Client } from './client.js';
import { progressLine } from './format.js';

const TERMINAL = new Set(['done', 'failed', 'cancelled']);

/** Poll the job until it ends, drawing a one-line progress bar on stderr. */
export async function waitForJob(client: Client, id: string, opts: { bar: boolean; intervalMs?: number }): Promise<JobDoc> {
  const tty = process.stderr.isTTY;
  let last = '';
  for (;;) {
    const doc = await client.job(id);
    if (opts.bar) {
      const line = progressLine(doc);
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    }
    if (TERMINAL.has(doc.state)) {
      if (opts.bar && tty) process.stderr.write('\n');
      return doc;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
