/** Hosts, most recently heard from first. */
import type { HostSummary } from '../../../protocol/index.js';
import { api } from '../api.js';
import { fill, h } from '../dom.js';
import { ago, count, credit, percent } from '../format.js';
import { throttled, type Page } from './view.js';

export const hostLabel = (x: Pick<HostSummary, 'id' | 'name'>): string => x.name || `${x.id.slice(0, 12)}…`;

function row(x: HostSummary): HTMLElement {
  return h('tr', null,
    h('td', null, h('span', { class: x.active ? 'dot on' : 'dot', title: x.active ? 'active' : 'not heard from lately' }), h('a', { href: `#/hosts/${x.id}` }, hostLabel(x))),
    h('td', null, x.account || h('span', { class: 'muted' }, 'anonymous')),
    h('td', { class: 'num' }, x.threads),
    h('td', null, ago(x.lastSeen)),
    h('td', { class: 'num' }, credit(x.credit)),
    h('td', { class: 'num' }, credit(x.rac)),
    h('td', { class: 'num' }, count(x.results.valid)),
    h('td', { class: 'num' }, percent(x.errorRate)));
}

export const hostsPage: Page = (root) => {
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  root.append(h('h1', null, 'Hosts'), h('section', { class: 'card' }, body));
  const load = throttled(async () => {
    try {
      const list = await api.hosts();
      fill(body, h('p', { class: 'muted' }, `${list.total} hosts in all; the ${list.hosts.length} heard from most recently:`),
        h('div', { class: 'scroll' }, h('table', null,
          h('thead', null, h('tr', null, ['host', 'account', 'threads', 'last seen', 'credit', 'RAC/day', 'valid', 'error rate'].map((t, i) => h('th', { class: i >= 4 || i === 2 ? 'num' : '' }, t)))),
          h('tbody', null, list.hosts.map(row)))));
    } catch (err) {
      fill(body, h('p', { class: 'error' }, `Could not load hosts: ${(err as Error).message}`));
    }
  }, 10_000);
  load();
  return { update: load };
};
