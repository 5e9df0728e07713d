/** Human-readable numbers, durations and progress bars for the terminal. */
import type { JobDoc } from '../protocol/index.js';

export function si(n: number, unit = ''): string {
  const steps = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < steps.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${steps[i]}${unit}`.trim();
}

export function duration(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '--:--';
  s = Math.round(s);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export function bar(fraction: number, width = 30): string {
  const full = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

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
  for (const f of doc.failedUnits.slice(0, 10)) lines.push(`  unit ${f.unit} failed: ${f.reason}`);
  if (doc.error) lines.push(`  error ${doc.error.code}: ${doc.error.message}`);
  return lines.join('\n');
}
