/**
 * The dashboard page: a hash router over the views, and one server-sent event stream whose snapshots
 * every view receives. No reloads; the status dot says whether the figures are live.
 */
import { connectFeed, type Snapshot } from './api.js';
import { fill, h } from './dom.js';
import { hostPage } from './views/host.js';
import { hostsPage } from './views/hosts.js';
import { jobPage } from './views/job.js';
import { leaderboardPage } from './views/leaderboard.js';
import { overview } from './views/overview.js';
import type { Context, Page, View } from './views/view.js';
import './style.css';

const ROUTES: Array<[RegExp, Page, string]> = [
  [/^#?\/?$/, overview, 'overview'],
  [/^#\/jobs\/([a-z0-9]+)$/, jobPage, 'overview'],
  [/^#\/hosts$/, hostsPage, 'hosts'],
  [/^#\/hosts\/([A-Za-z0-9_-]+)$/, hostPage, 'hosts'],
  [/^#\/leaderboard$/, leaderboardPage, 'leaderboard'],
];

const ctx: Context = { snapshot: null };
const main = document.getElementById('main')!;
const status = document.getElementById('status')!;
let view: View = {};

function route(): void {
  view.destroy?.();
  main.replaceChildren();
  const hash = location.hash || '#/';
  const hit = ROUTES.find(([re]) => re.test(hash));
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('on', a.dataset.nav === (hit?.[2] ?? ''));
  if (!hit) {
    fill(main, h('p', null, 'No such page. ', h('a', { href: '#/' }, 'Back to the overview.')));
    view = {};
    return;
  }
  const [re, page] = hit;
  view = page(main, ctx, ...(re.exec(hash)!.slice(1)));
  window.scrollTo(0, 0);
}

function setLive(live: boolean): void {
  status.className = live ? 'dot on' : 'dot';
  status.title = live ? 'live' : 'reconnecting…';
  document.body.classList.toggle('stale', !live);
}

connectFeed((s: Snapshot) => {
  ctx.snapshot = s;
  view.update?.(s);
}, setLive);
window.addEventListener('hashchange', route);
route();
