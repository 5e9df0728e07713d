/** The jobs list: kind, owner, progress, rate and the distributed.net-style ETA. */
import type { JobSummary } from '../../../protocol/index.js';
import { h, progressBar } from '../dom.js';
import { eta, si } from '../format.js';

export const jobTitle = (j: Pick<JobSummary, 'id' | 'name'>): string => j.name || j.id;

export function jobsTable(jobs: JobSummary[]): HTMLElement {
  if (!jobs.length) return h('p', { class: 'muted' }, 'No jobs yet. Submit one with ', h('code', null, 'idlegrid submit'), '.');
  return h('div', { class: 'scroll' },
    h('table', { class: 'jobs' },
      h('thead', null, h('tr', null, h('th', null, 'job'), h('th', null, 'kind'), h('th', null, 'owner'), h('th', { class: 'wide' }, 'progress'), h('th', { class: 'num' }, 'rate'), h('th', null, 'state'))),
      h('tbody', null, jobs.map((j) =>
        h('tr', { 'data-testid': `job-row-${j.id}` },
          h('td', null, h('a', { href: `#/jobs/${j.id}` }, jobTitle(j))),
          h('td', null, j.kind),
          h('td', null, j.owner ?? h('span', { class: 'muted' }, 'anonymous')),
          h('td', { class: 'wide' }, progressBar(j.fraction, `progress-${j.id}`),
            h('div', { class: 'small muted' }, `${j.unitsDone}/${j.unitsTotal} units${j.unitsFailed ? `, ${j.unitsFailed} failed` : ''}${j.state === 'done' && j.unitsDone + j.unitsFailed < j.unitsTotal ? ' (answer found early)' : ''}`)),
          h('td', { class: 'num' }, j.rate > 0 ? `${si(j.rate)} ${j.itemName}/s` : '—'),
          h('td', null, h('span', { class: `badge ${j.state}` }, j.state),
            j.state === 'queued' || j.state === 'running' ? h('div', { class: 'small muted' }, eta(j.state, j.etaS)) : null),
        ))),
    ));
}
