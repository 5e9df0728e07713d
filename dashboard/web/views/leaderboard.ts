/** Who gives the most: accounts, teams and hosts by total credit or by recent average credit. */
import type { Leaderboard, LeaderRow } from '../../../protocol/index.js';
import { api } from '../api.js';
import { fill, h, info } from '../dom.js';
import { credit } from '../format.js';
import { throttled, type Page } from './view.js';

const RAC_HELP = 'Recent average credit: credit per day, with past credit halving in weight every 7 days (as BOINC).';

function table(title: string, rows: LeaderRow[], link?: (id: string) => string): HTMLElement {
  return h('section', { class: 'card' }, h('h2', null, title),
    rows.length
      ? h('div', { class: 'scroll' }, h('table', null,
        h('thead', null, h('tr', null, h('th', { class: 'num' }, '#'), h('th', null, 'name'), h('th', { class: 'num' }, 'credit'), h('th', { class: 'num' }, 'RAC/day'))),
        h('tbody', null, rows.map((r) => h('tr', null,
          h('td', { class: 'num' }, r.rank),
          h('td', null, link ? h('a', { href: link(r.id) }, r.name) : r.name),
          h('td', { class: 'num' }, credit(r.credit)),
          h('td', { class: 'num' }, credit(r.rac)))))))
      : h('p', { class: 'muted' }, 'No credit granted yet.'));
}

export const leaderboardPage: Page = (root) => {
  let by: Leaderboard['by'] = 'total';
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const body = h('div', { class: 'boards' });
  const render = async () => {
    fill(tabs, (['total', 'recent'] as const).map((x) => h('button', {
      type: 'button', role: 'tab', class: x === by ? 'on' : '', 'aria-selected': x === by ? 'true' : 'false',
      onclick: () => { by = x; void render(); },
    }, x === 'total' ? 'total credit' : 'recent average')));
    try {
      const b = await api.leaderboard(by);
      fill(body, table('Accounts', b.accounts), table('Teams', b.teams), table('Hosts', b.hosts, (id) => `#/hosts/${id}`));
    } catch (err) {
      fill(body, h('p', { class: 'error' }, `Could not load the leaderboard: ${(err as Error).message}`));
    }
  };
  root.append(h('div', { class: 'row' }, h('h1', null, 'Leaderboard', info(RAC_HELP)), tabs), body);
  const load = throttled(render, 10_000);
  load();
  return { update: load };
};
