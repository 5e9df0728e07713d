/** Human-readable numbers, durations and progress bars for the terminal. */
import type { JobDoc } from '../protocol/index.js';

export { bar, duration, si } from '../worker/format.js';
import { bar, duration, si } from '../worker/format.js';

export function progressLine(doc: JobDoc): string {
  const p = doc.progress;
  const f = p.unitsTotal ? (p.unitsDone + p.unitsFailed) / p.unitsTotal : 0;
  return `${bar(f)} ${p.unitsDone}/${p.unitsTotal} units  ${si(p.rate, `${p.itemName}/s`)}  ETA ${duration(p.etaS)}  ${doc.state}`;
}

export function summary(doc: JobDoc): string {
  const p = doc.progress;
  const lines = [
    `job ${doc.id} (${doc.kind}${doc.name ? `, ${doc.name}` : ''}): ${doc.state}`,
    `  created ${doc.createdAt}${doc.finishedAt ? `, finished ${doc.finishedAt}` : ''}`,
    `  units ${p.unitsDone} done, ${p.unitsFailed} failed, ${p.unitsInProgress} in progress, of ${p.unitsTotal}`,
    `  ${si(p.itemsDone)} of ${si(p.itemsTotal)} ${p.itemName}; ${si(p.rate, `${p.itemName}/s`)}${p.etaS !== null ? `, ETA ${duration(p.etaS)}` : ''}`,
  ];
  for (const f of doc.failedUnits.slice(0, 10)) lines.push(`  unit ${f.unit} failed: ${f.code}: ${f.reason}`);
  if (doc.error) lines.push(`  error ${doc.error.code}: ${doc.error.message}`);
  return lines.join('\n');
}
