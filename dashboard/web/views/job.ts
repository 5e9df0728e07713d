/** One job: its progress and ETA, its result, and the units that failed and why. */
import type { JobDoc } from '../../../protocol/index.js';
// Straight from its own file: protocol/index.js would bundle zod into the page.
import { jobFraction } from '../../../protocol/job-progress.js';
import { ApiError, api, type Snapshot } from '../api.js';
import { fill, h, progressBar } from '../dom.js';
import { ago, eta, si } from '../format.js';
import { jobTitle } from './jobs-table.js';
import { renderResult } from './result.js';
import type { Page } from './view.js';

const stamp = (iso: string | null): string => (iso ? `${new Date(iso).toLocaleString()} (${ago(Date.parse(iso))})` : '—');

function render(doc: JobDoc, redacted: boolean): Array<HTMLElement | null> {
  const p = doc.progress;
  const fraction = jobFraction(doc.state, p.unitsDone, p.unitsFailed, p.unitsTotal);
  const early = doc.state === 'done' && p.unitsDone + p.unitsFailed < p.unitsTotal;
  return [
    h('h1', null, jobTitle(doc), ' ', h('span', { class: `badge ${doc.state}`, 'data-testid': 'job-state' }, doc.state)),
    h('section', { class: 'card' },
      progressBar(fraction, 'job-progress'),
      h('p', null, eta(doc.state, p.etaS), early ? ` — ended early: the answer was found after ${p.unitsDone + p.unitsFailed} of ${p.unitsTotal} units` : ''),
      h('dl', { class: 'facts' },
        h('dt', null, 'kind'), h('dd', null, doc.kind),
        h('dt', null, 'owner'), h('dd', null, doc.owner ?? 'anonymous'),
        h('dt', null, 'units'), h('dd', null, `${p.unitsDone} valid, ${p.unitsFailed} failed, ${p.unitsInProgress} in progress, of ${p.unitsTotal}`),
        h('dt', null, p.itemName), h('dd', null, `${si(p.itemsDone)} of ${si(p.itemsTotal)}`),
        h('dt', null, 'rate'), h('dd', null, p.rate > 0 ? `${si(p.rate)} ${p.itemName}/s` : '—'),
        h('dt', null, 'created'), h('dd', null, stamp(doc.createdAt)),
        h('dt', null, 'started'), h('dd', null, stamp(doc.startedAt)),
        h('dt', null, 'finished'), h('dd', null, stamp(doc.finishedAt)))),
    redacted
      ? h('section', { class: 'card' }, h('h2', null, 'Result'), h('p', { class: 'muted' }, 'This job is private: its result and failures are shown to its owner only (with their token, through the API or the CLI).'))
      : h('section', { class: 'card' }, h('h2', null, 'Result'),
        doc.error ? h('p', { class: 'error' }, `${doc.error.code}: ${doc.error.message}`) : null,
        renderResult(doc.result)),
    redacted ? null : h('section', { class: 'card' }, h('h2', null, `Failed units (${doc.failedUnits.length})`),
      doc.failedUnits.length
        ? h('div', { class: 'scroll' }, h('table', { 'data-testid': 'failed-units' },
          h('thead', null, h('tr', null, h('th', { class: 'num' }, 'unit'), h('th', null, 'why'))),
          h('tbody', null, doc.failedUnits.map((f) => h('tr', null, h('td', { class: 'num' }, f.unit), h('td', null, `${f.code}: ${f.reason}`))))))
        : h('p', { class: 'muted' }, 'None.')),
  ];
}

export const jobPage: Page = (root, _ctx, id) => {
  let shown = '';
  let busy = false;
  const load = async () => {
    if (busy) return;
    busy = true;
    try {
      const { doc, redacted } = await api.job(id);
      fill(root, h('p', null, h('a', { href: '#/' }, '← all jobs')), render(doc, redacted));
      shown = `${doc.state}:${doc.progress.unitsDone}:${doc.progress.unitsFailed}`;
    } catch (err) {
      fill(root, h('p', { class: 'error' }, err instanceof ApiError && err.status === 404 ? `No job ${id}.` : `Could not load job ${id}: ${(err as Error).message}`));
    } finally {
      busy = false;
    }
  };
  void load();
  return {
    update(s: Snapshot) {
      // Reload when the pushed summary says the job moved (it may be off the list when old: then keep polling while active).
      const j = s.jobs.find((x) => x.id === id);
      const now = j ? `${j.state}:${j.unitsDone}:${j.unitsFailed}` : null;
      if (now !== shown && (now !== null || /^(queued|running)/.test(shown))) void load();
    },
  };
};
