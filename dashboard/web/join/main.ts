/**
 * The /join page: this tab as a volunteer host (host.ts) with its controls and live view, and the
 * commands to install the worker, with this coordinator's address filled in. Nothing computes until
 * the volunteer presses Start; closing the page hands the units back (pagehide).
 */
import { cores } from './facts.js';
import { BrowserHost, type Settings } from './host.js';
import { loadIdentity } from './identity.js';
import { JoinStore } from './store.js';
import { WorkerTimers } from './timers.js';
import { CreditToday } from './credit.js';
import { renderHost } from './view.js';
import '../style.css';
import './join.css';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const SHARES = [10, 25, 50, 75, 100];

// The scripts' version rides on this module's own URL (join.js?v=...): the threads load the same build.
const version = new URL(import.meta.url).searchParams.get('v') ?? '';
const asset = (name: string): URL => new URL(`${name}?v=${encodeURIComponent(version)}`, import.meta.url);

function problem(text: string | null): void {
  const p = $('problem');
  p.hidden = text === null;
  p.textContent = text ?? '';
}

for (const el of document.querySelectorAll('[data-origin]')) el.textContent = location.origin;

/** The smallest module with a 128-bit SIMD instruction: the kernels need WebAssembly SIMD. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, ...new Array(16).fill(0), 11]);

async function boot(): Promise<void> {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_PROBE)) {
    throw new Error('this browser has no WebAssembly SIMD, which the kernels need (Chrome and Edge 91+, Firefox 114+, Safari 16.4+ have it); installing the worker (below) works everywhere Node.js does');
  }
  const store = await JoinStore.open();
  const [identity, credit, saved] = await Promise.all([loadIdentity(store), CreditToday.load(store), store.get<Partial<Settings>>('settings')]);
  const max = cores();
  const settings: Settings = {
    threads: Math.min(max, Math.max(1, saved?.threads ?? Math.max(1, Math.floor(max / 2)))),
    share: SHARES.includes(saved?.share ?? 0) ? saved!.share! : 100,
    name: saved?.name ?? '',
    account: saved?.account ?? '',
  };

  const threads = $<HTMLSelectElement>('threads');
  for (let n = 1; n <= max; n++) threads.append(new Option(`${n} of ${max}`, String(n), false, n === settings.threads));
  const share = $<HTMLSelectElement>('share');
  for (const p of SHARES) share.append(new Option(`${p}%`, String(p), false, p === settings.share));
  const name = $<HTMLInputElement>('name');
  const account = $<HTMLInputElement>('account');
  name.value = settings.name;
  account.value = settings.account;
  const save = () => void store.put('settings', { ...settings });

  let drawn = false;
  const live = $('live');
  const draw = () => {
    if (drawn) return;
    drawn = true;
    // Animation frames do not come to a hidden tab: it draws nothing until it is shown again.
    requestAnimationFrame(() => {
      drawn = false;
      renderHost(live, host);
      controls();
    });
  };
  const timers = new WorkerTimers(asset('join-timers.js'));
  const wsUrl = `${location.origin.replace(/^http/, 'ws')}/ws`;
  const host = new BrowserHost(store, identity, credit, settings, timers, asset('join-compute.js'), wsUrl, draw);

  const start = $<HTMLButtonElement>('start');
  const pause = $<HTMLButtonElement>('pause');
  const stop = $<HTMLButtonElement>('stop');
  function controls(): void {
    start.disabled = host.started;
    pause.disabled = !host.started;
    stop.disabled = !host.started;
    pause.textContent = host.paused ? 'Resume' : 'Pause';
    // The name and the account travel in hello: they change between runs, not during one.
    name.disabled = account.disabled = host.started;
  }

  threads.onchange = () => {
    host.setThreads(Number(threads.value));
    save();
  };
  share.onchange = () => {
    host.setShare(Number(share.value));
    save();
  };
  name.onchange = () => {
    settings.name = name.value.trim();
    save();
  };
  account.onchange = () => {
    settings.account = account.value.trim();
    save();
  };

  // One tab per browser profile computes as this host: a second one would take over its connection.
  // Web Locks say so up front where the browser offers them (secure contexts); elsewhere the coordinator's
  // "same host connected again" close stops the older tab (link.ts).
  let unlock: (() => void) | null = null;
  start.onclick = async () => {
    problem(null);
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (locks) {
      const got = await new Promise<boolean>((resolve) => {
        void locks.request('idlegrid-host', { ifAvailable: true }, (lock) => {
          if (!lock) return resolve(false);
          resolve(true);
          return new Promise<void>((release) => (unlock = release));
        });
      });
      if (!got) return problem('Another tab or window of this browser is already computing as this host: use that one, or close it first.');
    }
    host.start();
    draw();
  };
  pause.onclick = () => (host.paused ? host.resume() : host.pause());
  stop.onclick = async () => {
    await host.stop();
    unlock?.();
    unlock = null;
    draw();
  };

  $<HTMLFormElement>('account-form').onsubmit = async (e) => {
    e.preventDefault();
    const out = $('account-result');
    const team = $<HTMLInputElement>('account-team').value.trim();
    const res = await fetch('/api/accounts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: $<HTMLInputElement>('account-name').value.trim(), ...(team ? { team } : {}) }),
    }).catch((err: Error) => err);
    if (res instanceof Error) {
      out.textContent = `Could not reach the coordinator: ${res.message}`;
      return;
    }
    const body = (await res.json().catch(() => null)) as { key?: string; name?: string; error?: { code: string; message: string } } | null;
    if (!res.ok || !body?.key) {
      out.textContent = `Not created: ${body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`}`;
      return;
    }
    settings.account = account.value = body.key;
    save();
    out.textContent = `Account "${body.name}" created; its key is filled in above and kept in this browser. Keep a copy to use it elsewhere (it is shown only once): ${body.key}`;
  };

  // Closing, reloading or leaving the page: hand the units back now, not at their deadline.
  addEventListener('pagehide', () => host.leave('the page was closed'));
  // A page restored from the back/forward cache has handed its units back: start over cleanly.
  addEventListener('pageshow', (e) => (e as PageTransitionEvent).persisted && location.reload());

  start.disabled = false;
  draw();
}

boot().catch((err: unknown) => problem(`This page cannot compute here: ${(err as Error).message ?? String(err)}`));
