/**
 * Time-of-day windows in which computing is allowed ("22:00-07:00,12:00-13:30"), in local time. A
 * window whose end is before its start runs past midnight. The empty string means any time.
 */
export interface Window {
  from: number;
  to: number;
}

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

const minutes = (s: string): number | null => {
  const m = TIME.exec(s.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
};

export function parseWindows(text: string): { ok: true; windows: Window[] } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, windows: [] };
  const windows: Window[] = [];
  for (const part of text.split(',')) {
    const [a, b, extra] = part.split('-');
    const from = a === undefined ? null : minutes(a);
    const to = b === undefined ? null : minutes(b);
    if (from === null || to === null || extra !== undefined || from === to) {
      return { ok: false, error: `"${part.trim()}" is not a window like 22:00-07:00 (HH:MM-HH:MM, start and end differ)` };
    }
    windows.push({ from, to });
  }
  return { ok: true, windows };
}

/** Is this local time inside one of the windows? No windows: always. */
export function insideWindows(windows: Window[], date: Date): boolean {
  if (!windows.length) return true;
  const m = date.getHours() * 60 + date.getMinutes();
  return windows.some((w) => (w.from < w.to ? m >= w.from && m < w.to : m >= w.from || m < w.to));
}
