/** The front page: the virtual supercomputer at a glance, its history, and the jobs. */
import type { GridStats, HistoryRange } from '../../../protocol/index.js';
import { api, type Snapshot } from '../api.js';
import { HistoryChart } from '../chart.js';
import { fill, h, info } from '../dom.js';
import { count, credit, duration, flops, si } from '../format.js';
import { jobsTable } from './jobs-table.js';
import type { Page } from './view.js';

const SPAN_MS: Record<HistoryRange, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };

const FLOPS_HELP =
  'Measured from validated work, not from benchmarks: every result the validator accepts adds its unit\'s ' +
  'operations (as its kind counts them; key search counts 32-bit integer operations) to a grid-wide total. ' +
  'FLOPS = growth of that total over the last minute ÷ the time it took. Work that is computed but not yet ' +
  'validated, or found invalid, does not count.';

interface Figure {
  id: string;
  label: string;
  help: string;
  value: (s: GridStats) => [text: string, raw: number];
}

const FIGURES: Figure[] = [
  { id: 'hosts', label: 'Active hosts', help: 'Hosts heard from in the last minute.', value: (s) => [count(s.hostsActive), s.hostsActive] },
  { id: 'threads', label: 'Threads', help: 'Compute threads the active hosts offer.', value: (s) => [count(s.threadsActive), s.threadsActive] },
  { id: 'results-per-s', label: 'Results / s', help: 'Results returned by hosts (errors included) per second, last minute.', value: (s) => [si(s.resultsPerS), s.resultsPerS] },
  { id: 'queued', label: 'Queued', help: 'Units waiting for a host.', value: (s) => [count(s.units.queued), s.units.queued] },
  { id: 'in-flight', label: 'In flight', help: 'Replicas being computed by hosts now.', value: (s) => [count(s.units.inFlight), s.units.inFlight] },
  { id: 'validating', label: 'Validating', help: 'Units with enough results, waiting for the validator.', value: (s) => [count(s.units.validating), s.units.validating] },
  { id: 'results-valid', label: 'Valid results', help: 'Results the validator accepted, in all.', value: (s) => [count(s.resultsValid), s.resultsValid] },
  { id: 'credit', label: 'Credit granted', help: 'In all, in cobblestones: 1/200 of a day of a 1 GFLOPS machine.', value: (s) => [credit(s.creditTotal), s.creditTotal] },
];

/** The figure cards, built once and then only their numbers change, so an open explanation stays open. */
function figureCards(): { el: HTMLElement; update: (s: GridStats) => void } {
  const hero = h('div', { class: 'value', 'data-testid': 'flops', 'data-value': 0 }, '—');
  const heroNote = h('div', { class: 'small muted' }, 'connecting…');
  const values = FIGURES.map((f) => h('div', { class: 'value', 'data-testid': f.id }, '—'));
  const el = h('section', { class: 'figures' },
    h('div', { class: 'figure hero' }, h('div', { class: 'label' }, 'Grid speed now', info(FLOPS_HELP)), hero, heroNote),
    FIGURES.map((f, i) => h('div', { class: 'figure' }, h('div', { class: 'label' }, f.label, info(f.help)), values[i])));
  const set = (node: HTMLElement, text: string, raw: number) => {
    node.textContent = text;
    node.dataset.value = String(raw);
  };
  return {
    el,
    update(s) {
      set(hero, flops(s.flops), s.flops);
      heroNote.textContent = `validated work, last ${Math.round(s.windowS)} s · ${si(s.opsValid)} operations in all`;
      FIGURES.forEach((f, i) => set(values[i], ...f.value(s)));
    },
  };
}

export const overview: Page = (root, ctx) => {
  const cards = figureCards();
  const chartBox = h('div', { class: 'chart', 'data-testid': 'history-chart' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const jobs = h('section', { class: 'card' });
  const chartNote = h('p', { class: 'small muted' });
  let range: HistoryRange = 'hour';
  let stepS = 10;
  const chart = new HistoryChart(chartBox);
  const note = () => fill(chartNote, chart.size
    ? `FLOPS and active hosts, one point per ${duration(stepS)}; a gap is a time when no coordinator was running.`
    : 'No history yet: one coordinator samples the grid every 10 seconds.');

  const load = async (r: HistoryRange) => {
    range = r;
    fill(tabs, (['hour', 'day', 'week'] as const).map((x) =>
      h('button', { type: 'button', role: 'tab', 'aria-selected': x === r ? 'true' : 'false', class: x === r ? 'on' : '', onclick: () => void load(x) }, `last ${x}`)));
    try {
      const hist = await api.history(r);
      chart.set(hist.points, SPAN_MS[r]);
      stepS = hist.stepS;
      note();
    } catch (err) {
      fill(chartNote, `History unavailable: ${(err as Error).message}`);
    }
  };

  const update = (s: Snapshot) => {
    cards.update(s.stats);
    fill(jobs, h('h2', null, 'Jobs'), jobsTable(s.jobs));
    if (range === 'hour' && s.latest) {
      chart.push(s.latest);
      note();
    }
  };

  root.append(
    cards.el,
    h('section', { class: 'card' }, h('div', { class: 'row' }, h('h2', null, 'History'), tabs), chartBox, chartNote),
    jobs,
  );
  if (ctx.snapshot) update(ctx.snapshot);
  void load('hour');
  // Day and week points arrive every 5 minutes and every hour: reload those ranges now and then.
  const reload = setInterval(() => {
    if (range !== 'hour') void load(range);
  }, 60_000);
  return {
    update,
    destroy() {
      clearInterval(reload);
      chart.destroy();
    },
  };
};
