/**
 * Human-readable numbers, durations, progress bars and job summaries for the terminal. Every string
 * that came from the coordinator (names, failure reasons from hosts, error messages) goes through
 * `printable` first: it was written by other people, and a terminal obeys the control characters in it.
 */
import { printable, type JobDoc } from '../protocol/index.js';

export { bar, duration, si } from '../worker/format.js';
import { bar, duration, si } from '../worker/format.js';

export { printable };

/** A column of a table: printable, cut to `width` - 1 characters and padded, so columns stay aligned. */
export function cell(text: string, width: number): string {
  const t = printable(text);
  return (t.length >= width ? `${t.slice(0, width - 2)}…` : t).padEnd(width);
}

const rate = (doc: JobDoc): string => si(doc.progress.rate, `${printable(doc.progress.itemName)}/s`);

export function progressLine(doc: JobDoc): string {
  const p = doc.progress;
  const f = p.unitsTotal ? (p.unitsDone + p.unitsFailed) / p.unitsTotal : 0;
  return `${bar(f)} ${p.unitsDone}/${p.unitsTotal} units  ${rate(doc)}  ETA ${duration(p.etaS)}  ${doc.state}`;
}

export function summary(doc: JobDoc): string {
  const p = doc.progress;
  const lines = [
    `job ${doc.id} (${doc.kind}${doc.name ? `, ${printable(doc.name)}` : ''}): ${doc.state}`,
    `  created ${printable(doc.createdAt)}${doc.finishedAt ? `, finished ${printable(doc.finishedAt)}` : ''}`,
    `  units ${p.unitsDone} done, ${p.unitsFailed} failed, ${p.unitsInProgress} in progress, of ${p.unitsTotal}`,
    `  ${si(p.itemsDone)} of ${si(p.itemsTotal)} ${printable(p.itemName)}; ${rate(doc)}${p.etaS !== null ? `, ETA ${duration(p.etaS)}` : ''}`,
  ];
  for (const f of doc.failedUnits.slice(0, 10)) lines.push(`  unit ${f.unit} failed: ${printable(f.code)}: ${printable(f.reason)}`);
  if (doc.error) lines.push(`  error ${printable(doc.error.code)}: ${printable(doc.error.message)}`);
  return lines.join('\n');
}

/** `idlegrid jobs`: one line per job, newest first. */
export function jobTable(jobs: JobDoc[]): string {
  const head = `${'ID'.padEnd(18)}${'KIND'.padEnd(11)}${'STATE'.padEnd(11)}${'UNITS'.padEnd(16)}${'RATE'.padEnd(16)}${'ETA'.padEnd(10)}NAME\n`;
  return head + jobs.map((j) => {
    const p = j.progress;
    return `${j.id.padEnd(18)}${j.kind.padEnd(11)}${j.state.padEnd(11)}${`${p.unitsDone}/${p.unitsTotal}`.padEnd(16)}${cell(rate(j), 16)}${duration(p.etaS).padEnd(10)}${printable(j.name ?? '').slice(0, 60)}\n`;
  }).join('');
}
