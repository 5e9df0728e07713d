/**
 * A tiny element builder. Text goes in as text nodes, never as HTML, so data from the grid cannot inject
 * markup; and every string is made printable on the way (names are written by other people), so no
 * control character from the grid reaches the page. Text keeps its line feeds (HTML shows them as spaces,
 * except in <pre>, where the page lays out JSON); attributes do not.
 */
import { printable } from '../../protocol/text.js';

export type Child = Node | string | number | null | undefined | false | Child[];
type Attr = string | number | boolean | undefined | null | EventListener;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, Attr> | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, v] of Object.entries(attrs ?? {})) {
    if (typeof v === 'function') el.addEventListener(name.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(name, '');
    else if (v !== false && v !== undefined && v !== null) el.setAttribute(name, printable(String(v)));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else if (c !== null && c !== undefined && c !== false) el.appendChild(document.createTextNode(printable(String(c), true)));
  }
}

/** Replace an element's content. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function progressBar(fraction: number, testId?: string): HTMLElement {
  const pct = Math.max(0, Math.min(1, fraction)) * 100;
  const label = `${pct >= 99.95 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
  const bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': pct.toFixed(1), 'aria-valuemin': 0, 'aria-valuemax': 100, 'data-testid': testId },
    h('div', { class: 'fill' }), h('span', null, label));
  (bar.firstChild as HTMLElement).style.width = `${pct}%`;
  return bar;
}

/** A small ⓘ that shows an explanation on hover (title) and on tap (toggle), for phones. */
export function info(text: string): HTMLElement {
  const tip = h('span', { class: 'tip', role: 'tooltip' }, text);
  const button = h('button', { class: 'info', type: 'button', title: text, 'aria-label': 'explain' }, 'i');
  button.addEventListener('click', () => tip.classList.toggle('open'));
  return h('span', { class: 'info-wrap' }, button, tip);
}
