/** Numbers as people read them: SI prefixes, durations in words, times ago. */
const PREFIX = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z'];

export function si(n: number, unit = '', digits = 3): string {
  if (!Number.isFinite(n)) return '—';
  let i = 0;
  let v = Math.abs(n);
  while (v >= 1000 && i < PREFIX.length - 1) {
    v /= 1000;
    i++;
  }
  const text = v === 0 ? '0' : v.toPrecision(digits).replace(/\.0+$|(\.\d*?)0+$/, '$1');
  return `${n < 0 ? '-' : ''}${text}${unit || PREFIX[i] ? ' ' : ''}${PREFIX[i]}${unit}`;
}

export const flops = (n: number): string => si(n, 'FLOPS');

export function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

export function credit(n: number): string {
  return n >= 100 ? count(n) : n.toFixed(n >= 1 ? 1 : 3);
}

/** "3 hours", "12 minutes", "40 seconds", "5 days". */
export function duration(s: number): string {
  const units: Array<[number, string]> = [[86400 * 365, 'year'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [size, name] of units) {
    if (s >= size || size === 1) {
      const n = s >= 10 * size || size === 1 ? Math.round(s / size) : Math.round((s / size) * 10) / 10;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return '';
}

/** distributed.net style: what the rate promises. */
export function eta(state: string, etaS: number | null): string {
  if (state === 'done') return 'Finished.';
  if (state === 'failed' || state === 'cancelled') return state;
  if (etaS === null) return 'waiting for the first results';
  return `done in ${duration(etaS)} at the current rate`;
}

export function ago(ms: number, now = Date.now()): string {
  if (!ms) return 'never';
  const s = Math.max(0, (now - ms) / 1000);
  return s < 5 ? 'just now' : `${duration(s)} ago`;
}

export const percent = (f: number | null): string => (f === null ? '—' : `${(f * 100).toFixed(f > 0 && f < 0.01 ? 2 : 1)}%`);
