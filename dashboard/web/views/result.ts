/**
 * A job's result, by what it holds: keys found (key search), candidates with waterfall plots (signal
 * scans), or else the JSON itself. Images are shown only from http(s), same-site or data:image URLs, inside
 * <img>, where a picture cannot run script.
 */
import { h, type Child } from '../dom.js';
import { count, si } from '../format.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const IMAGE_FIELD = /waterfall|image|plot|png|svg|url/i;

function imageSrc(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  if (v.startsWith('<svg')) return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(v)}`;
  return /^(https?:\/\/|\/(?!\/)|data:image\/)/.test(v) ? v : null;
}

function cell(v: unknown): Child {
  if (typeof v === 'number') return Number.isInteger(v) ? count(v) : Math.abs(v) >= 1e4 ? si(v, '', 6) : v.toPrecision(4);
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function candidates(list: Obj[]): HTMLElement {
  const columns = [...new Set(list.flatMap((c) => Object.keys(c)))];
  const data = columns.filter((c) => !list.some((x) => imageSrc(x[c]) !== null && IMAGE_FIELD.test(c)));
  const images = columns.filter((c) => !data.includes(c));
  return h('div', { class: 'scroll', 'data-testid': 'candidates' },
    h('table', null,
      h('thead', null, h('tr', null, h('th', null, '#'), data.map((c) => h('th', null, c)), images.length ? h('th', null, 'plot') : null)),
      h('tbody', null, list.map((c, i) => h('tr', null,
        h('td', null, i + 1),
        data.map((col) => h('td', { class: typeof c[col] === 'number' ? 'num' : '' }, cell(c[col]))),
        images.length ? h('td', null, images.map((col) => {
          const src = imageSrc(c[col]);
          return src ? h('img', { class: 'waterfall', src, alt: `${col} of candidate ${i + 1}`, loading: 'lazy' }) : null;
        })) : null)))));
}

export function renderResult(result: unknown): HTMLElement {
  if (result === null || result === undefined) return h('p', { class: 'muted' }, 'No result yet: it is assembled when every unit is settled.');
  const parts: Child[] = [];
  if (isObj(result) && Array.isArray(result.found)) {
    const keys = result.found.map((f) => (isObj(f) ? String(f.key) : String(f)));
    parts.push(keys.length
      ? h('p', { class: 'found' }, keys.length === 1 ? 'Key found: ' : 'Keys found: ', keys.map((k, i) => [i ? ', ' : '', h('code', { 'data-testid': 'result-key' }, k)]))
      : h('p', null, 'No key in the searched range.'));
    if (typeof result.keysSearched === 'number') parts.push(h('p', { class: 'muted' }, `${count(result.keysSearched)} keys searched.`));
  }
  if (isObj(result) && Array.isArray(result.candidates)) {
    const list = result.candidates.filter(isObj);
    parts.push(h('h3', null, `${list.length} candidate${list.length === 1 ? '' : 's'}`), list.length ? candidates(list) : h('p', { class: 'muted' }, 'No signal above the threshold.'));
  }
  parts.push(h('details', null, h('summary', null, 'result as JSON'), h('pre', null, JSON.stringify(result, null, 2))));
  return h('div', { 'data-testid': 'job-result' }, parts);
}
