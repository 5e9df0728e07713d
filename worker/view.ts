/**
 * The live terminal view of `idlegrid worker` (TTY only): a header with the state and its reason and
 * today's credit, one line per thread with a progress bar, the unit's kind, rate and ETA, and a footer
 * with the buffer. render() is a pure function of a status snapshot; LiveView redraws it in place and
 * prints log lines above it.
 */
import { bar, duration, si } from './format.js';
import type { GovernorStatus } from './governor.js';
import type { UnitView, WorkerSnapshot } from './status.js';

export interface ViewData {
  worker: WorkerSnapshot;
  governor?: GovernorStatus;
}

const rate = (u: UnitView): string => (u.itemName && u.itemsPerS !== null ? si(u.itemsPerS, `${u.itemName}/s`) : si(u.opsPerS, 'FLOPS'));

function unitLine(slot: number, u: UnitView | undefined, width: number, held: boolean): string {
  const tag = `#${slot + 1}`.padStart(3);
  if (!u) return `${tag} idle`;
  const barWidth = Math.max(10, Math.min(30, width - 70));
  // A thread stopped while the worker runs is in the CPU-time cap's rest phase.
  const state = u.paused ? (held ? 'paused' : 'resting') : `ETA ${duration(u.etaS)}`;
  return `${tag} ${u.kind.padEnd(10)} ${bar(u.fraction, barWidth)} ${(u.fraction * 100).toFixed(1).padStart(5)}%  ${state.padEnd(11)} ${rate(u).padStart(14)}  ${u.leaseId}`;
}

export function render(d: ViewData, width = 100): string[] {
  const w = d.worker;
  const c = w.credit;
  const credit = `credit today ${c.granted.toFixed(2)}${c.claimed > 0 ? ` (+${c.claimed.toFixed(2)} awaiting validation)` : ''}`;
  const lines = [
    `idlegrid worker ${w.name ?? w.hostId} -> ${w.coordinator}   ${credit}   units done ${w.unitsDone}`,
    `state: ${w.state}`,
  ];
  const bySlot = new Map(w.units.map((u) => [u.slot, u]));
  const slots = Math.max(w.threads, ...w.units.map((u) => u.slot + 1));
  const held = w.state.startsWith('paused');
  for (let s = 0; s < slots; s++) lines.push(unitLine(s, bySlot.get(s), width, held));
  const g = d.governor;
  const extra = g
    ? `   idle source: ${g.sensors.idle}${g.readings.otherCpu !== null ? `   other programs' CPU ${Math.round(g.readings.otherCpu * 100)}%` : ''}${g.readings.tempC !== null ? `   CPU ${Math.round(g.readings.tempC)} C` : ''}`
    : '';
  lines.push(`buffer: ${w.buffered} unit(s) ready   results waiting to be sent: ${w.outbox}${extra}`);
  return lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}~` : l));
}

export class LiveView {
  private drawn = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly out: NodeJS.WriteStream, private readonly data: () => ViewData, private readonly everyMs = 500) {}

  start(): void {
    this.draw();
    this.timer = setInterval(() => this.draw(), this.everyMs);
    this.timer.unref();
  }

  /** A log line goes above the live block, which is then drawn again below it. */
  log(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.draw();
  }

  stop(): void {
    clearInterval(this.timer);
    this.draw();
    this.drawn = 0;
  }

  private clear(): void {
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    const lines = render(this.data(), this.out.columns || 100);
    this.clear();
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
