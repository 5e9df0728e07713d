/**
 * The live view of the tab as a host, like the terminal view of `idlegrid worker`: what it is doing and
 * why it waits, each thread's unit, progress and rate, units done, credit today, and the recent log.
 * Drawn on animation frames, which a hidden tab does not get: a tab in the background spends nothing
 * on drawing, and catches up the moment it is shown.
 */
import type { WorkUnit } from '../../../protocol/messages.js';
import { getKind } from '../../../workunits/index.js';
import { fill, h, progressBar } from '../dom.js';
import { count, credit, si } from '../format.js';
import type { BrowserHost } from './host.js';
import type { ThreadView } from './thread.js';

/** A rate as people count that kind's work: keys/s for the key search, FLOPS for the signal scan. */
function rateOf(unit: WorkUnit, opsPerS: number): { value: number; unit: string } {
  const kind = getKind(unit.kind);
  const ops = kind?.ops(unit.spec) ?? 0;
  if (kind?.itemName && kind.items && ops > 0) return { value: (opsPerS * kind.items(unit.spec)) / ops, unit: `${kind.itemName}/s` };
  return { value: opsPerS, unit: kind?.opsUnit.startsWith('FLOP') ? 'FLOPS' : 'ops/s' };
}

function threadRow(s: ThreadView, threads: number): HTMLElement {
  const idle = !s.busy || !s.unit;
  const rate = s.unit && s.rate ? rateOf(s.unit, s.rate) : null;
  const what = idle ? (s.index < threads ? 'idle: waiting for a unit' : 'off') : s.phase === 'downloading' ? 'fetching its input' : s.phase;
  return h('tr', { 'data-testid': `thread-${s.index}` },
    h('td', { class: 'num' }, s.index + 1),
    h('td', null, s.unit ? h('code', null, s.unit.leaseId) : h('span', { class: 'muted' }, '—'), s.unit ? ` ${s.unit.kind}` : ''),
    h('td', { class: 'wide' }, s.unit ? progressBar(s.fraction, `thread-${s.index}-progress`) : null),
    h('td', { class: 'num' }, rate ? si(rate.value, rate.unit) : '—'),
    h('td', { 'data-testid': `thread-${s.index}-state` }, what));
}

/** Per-kind totals of the threads' rates ("2.1 M keys/s · 310 MFLOPS"). */
function totalRate(slots: ThreadView[]): string {
  const sums = new Map<string, number>();
  for (const s of slots) {
    if (!s.unit || !s.rate || s.phase !== 'computing') continue;
    const r = rateOf(s.unit, s.rate);
    sums.set(r.unit, (sums.get(r.unit) ?? 0) + r.value);
  }
  return sums.size ? [...sums].map(([u, v]) => si(v, u)).join(' · ') : '—';
}

const figure = (label: string, value: string, testId: string): HTMLElement =>
  h('div', { class: 'figure' }, h('div', { class: 'label' }, label), h('div', { class: 'value', 'data-testid': testId }, value));

export function renderHost(root: HTMLElement, host: BrowserHost): void {
  const c = host.credit.today();
  const slots: ThreadView[] = host.threads.slice();
  for (let i = slots.length; i < host.settings.threads; i++) slots.push({ index: i, busy: false, unit: null, phase: 'idle', fraction: 0, rate: 0 });
  fill(root,
    h('p', { class: 'state' }, h('span', { class: host.started && !host.paused ? 'dot on' : 'dot' }), h('strong', { 'data-testid': 'join-state' }, host.state)),
    h('div', { class: 'figures' },
      figure('units done here', count(host.unitsDone), 'join-units-done'),
      figure('rate now', totalRate(slots), 'join-rate'),
      figure('credit today', `${credit(c.granted)} granted`, 'join-credit'),
      figure('claimed, awaiting validation', credit(c.claimed), 'join-claimed')),
    h('div', { class: 'scroll' }, h('table', { 'data-testid': 'join-threads' },
      h('thead', null, h('tr', null, h('th', { class: 'num' }, 'thread'), h('th', null, 'unit'), h('th', null, 'progress'), h('th', { class: 'num' }, 'rate'), h('th', null, 'state'))),
      h('tbody', null, slots.filter((s) => s.index < host.settings.threads || s.busy).map((s) => threadRow(s, host.settings.threads))))),
    h('p', { class: 'muted small' }, `${host.queue.length} unit(s) waiting in this tab · host `, h('code', { 'data-testid': 'join-host-id' }, host.identity.hostId)),
    h('pre', { class: 'log', 'data-testid': 'join-log' }, host.log.slice(-30).map((l) => `${new Date(l.at).toLocaleTimeString()}  ${l.text}\n`).join('')));
}
