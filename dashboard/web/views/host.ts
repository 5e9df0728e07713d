/** One host: what it is, its record since it first connected, its error rate and its trust per kind. */
import type { HostDetail } from '../../../protocol/index.js';
import { ApiError, api } from '../api.js';
import { fill, h, info } from '../dom.js';
import { ago, count, credit, percent, si } from '../format.js';
import { hostLabel } from './hosts.js';
import { throttled, type Page } from './view.js';

/** Adaptive replication lets a host run a unit alone from this many consecutive valid results (lease.lua). */
const TRUSTED_AT = 10;

function outcomes(x: HostDetail): HTMLElement {
  const r = x.results;
  const all = r.valid + r.invalid + r.error + r.timeout;
  const seg = (n: number, cls: string, label: string) => {
    const el = h('span', { class: `seg ${cls}`, title: `${label}: ${count(n)}` });
    el.style.flexGrow = String(n);
    return n ? el : null;
  };
  return h('div', null,
    all ? h('div', { class: 'stack' }, seg(r.valid, 'valid', 'valid'), seg(r.invalid, 'invalid', 'invalid'), seg(r.error, 'error', 'error'), seg(r.timeout, 'timeout', 'no reply')) : null,
    h('p', null, `${count(r.valid)} valid · ${count(r.invalid)} invalid · ${count(r.error)} errors · ${count(r.timeout)} missed deadlines — error rate `,
      h('strong', { 'data-testid': 'host-error-rate' }, percent(x.errorRate))));
}

function render(x: HostDetail): HTMLElement[] {
  const facts = x.facts as { cores?: number; memoryBytes?: number; platform?: string; arch?: string; cpuModel?: string };
  const kinds = [...new Set([...x.kinds, ...Object.keys(x.trust)])];
  // A volunteer's browser tab (the /join page) says platform "browser" in hello.
  const browser = facts.platform === 'browser';
  return [
    h('h1', null, h('span', { class: x.active ? 'dot on' : 'dot' }), hostLabel(x),
      browser ? h('span', { class: 'badge running', 'data-testid': 'host-browser', title: 'computes in a web browser tab (the /join page)' }, 'browser tab') : null),
    h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        h('dt', null, 'id'), h('dd', null, h('code', null, x.id)),
        h('dt', null, 'account'), h('dd', null, x.account || 'anonymous'),
        h('dt', null, 'machine'), h('dd', null, [browser ? 'a browser tab' : null, facts.cpuModel, facts.cores ? `${facts.cores} cores` : null, facts.memoryBytes ? `${si(facts.memoryBytes, 'B')} memory` : null, !browser && facts.platform && `${facts.platform}/${facts.arch ?? ''}`].filter(Boolean).join(', ') || '—'),
        h('dt', null, 'threads'), h('dd', null, `${x.threads} offered, ${x.unitsHeld} units held now`),
        h('dt', null, 'software'), h('dd', null, x.software || '—'),
        h('dt', null, 'state'), h('dd', null, x.state || '—'))),
    h('section', { class: 'card' }, h('h2', null, 'History'),
      h('dl', { class: 'facts' },
        h('dt', null, 'first seen'), h('dd', null, x.firstSeen ? `${new Date(x.firstSeen).toLocaleString()} (${ago(x.firstSeen)})` : '—'),
        h('dt', null, 'last seen'), h('dd', null, ago(x.lastSeen)),
        h('dt', null, 'credit'), h('dd', null, `${credit(x.credit)} in all · ${credit(x.rac)} per day recently`, info('Recent average credit: credit per day, with past credit halving in weight every 7 days.'))),
      outcomes(x),
      x.daily.length
        ? h('table', { 'data-testid': 'host-daily' },
          h('thead', null, h('tr', null, h('th', null, 'day (UTC)'), h('th', { class: 'num' }, 'credit'), h('th', { class: 'num' }, 'valid'), h('th', { class: 'num' }, 'invalid'), h('th', { class: 'num' }, 'errors'))),
          h('tbody', null, x.daily.slice().reverse().map((d) => h('tr', null,
            h('td', null, d.day), h('td', { class: 'num' }, credit(d.credit)), h('td', { class: 'num' }, count(d.valid)),
            h('td', { class: 'num' }, count(d.invalid)), h('td', { class: 'num' }, count(d.errors))))))
        : null),
    h('section', { class: 'card' }, h('h2', null, 'Trust', info(`Consecutive valid results per kind. From ${TRUSTED_AT} on, adaptive replication may let this host run a unit alone (spot-checked); any invalid result, error or missed deadline resets it to 0.`)),
      kinds.length
        ? h('table', null, h('tbody', null, kinds.map((k) => {
          const n = x.trust[k] ?? 0;
          return h('tr', null, h('td', null, k), h('td', { class: 'num' }, count(n)), h('td', null, h('span', { class: n >= TRUSTED_AT ? 'badge done' : 'badge queued' }, n >= TRUSTED_AT ? 'trusted' : 'replicated')));
        })))
        : h('p', { class: 'muted' }, 'No results yet.')),
  ];
}

export const hostPage: Page = (root, _ctx, id) => {
  const load = throttled(async () => {
    try {
      fill(root, h('p', null, h('a', { href: '#/hosts' }, '← all hosts')), render(await api.host(id)));
    } catch (err) {
      fill(root, h('p', { class: 'error' }, err instanceof ApiError && err.status === 404 ? `No host ${id}.` : `Could not load host ${id}: ${(err as Error).message}`));
    }
  }, 10_000);
  load();
  return { update: load };
};
