/**
 * How long since the user last touched keyboard or mouse. Each platform's way of asking sits behind one
 * small interface; parsers are pure functions of a helper's output so they are tested without the
 * desktop they come from (worker/sensors.test.ts).
 */
import type { Exec } from './exec.js';

export interface IdleSource {
  /** What answers, for the start-up listing and `ctl status` ("gnome-mutter", "x11 xprintidle"...). */
  readonly name: string;
  /** Seconds since the last input; Infinity when nobody can be at this machine; null when it cannot tell now. */
  idleSeconds(): Promise<number | null>;
  close?(): void;
}

/** A machine with no display session (a server, a container): nobody is at it, it is always idle. */
export const alwaysIdle: IdleSource = { name: 'no display session (always idle)', idleSeconds: async () => Infinity };

/** A source that asks a helper program each time. */
export class CommandIdleSource implements IdleSource {
  constructor(
    readonly name: string,
    private readonly exec: Exec,
    private readonly cmd: string,
    private readonly args: string[],
    private readonly parse: (stdout: string) => number | null,
  ) {}

  async idleSeconds(): Promise<number | null> {
    const out = await this.exec(this.cmd, this.args);
    return out === null ? null : this.parse(out);
  }
}

const num = (s: string | undefined): number | null => {
  if (s === undefined) return null;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n : null;
};

/** gdbus prints a method's return as a tuple: `(uint64 12345,)`. */
export const parseGdbusNumber = (out: string): number | null => num(/^\(\s*(?:u?int\d+\s+)?(\d+),?\s*\)/.exec(out.trim())?.[1] ?? undefined);

/** org.gnome.Mutter.IdleMonitor.GetIdletime: milliseconds (GNOME on Wayland and on X11). */
export const parseMutter = (out: string): number | null => {
  const ms = parseGdbusNumber(out);
  return ms === null ? null : ms / 1000;
};

/** org.freedesktop.ScreenSaver.GetSessionIdleTime as KDE's screen locker implements it: milliseconds. */
export const parseKdeIdle = parseMutter;

/** xprintidle (and `xssstate -i`): milliseconds on one line. */
export const parseXprintidle = (out: string): number | null => {
  const ms = num(out.trim().split('\n')[0]);
  return ms === null ? null : ms / 1000;
};

/**
 * org.freedesktop.ScreenSaver.GetActive: `(true,)` while the screen saver or lock is on. Where nothing
 * better answers (KDE Plasma on Wayland refuses GetSessionIdleTime), a locked screen means away.
 */
export const parseScreenSaverActive = (out: string): number | null => {
  const m = /^\(\s*(true|false)\s*,?\s*\)$/.exec(out.trim());
  if (!m) return null;
  return m[1] === 'true' ? Infinity : 0;
};

/**
 * `loginctl show-session ID -p IdleHint -p IdleSinceHint`: IdleHint=yes with IdleSinceHint in
 * microseconds of the realtime clock. Only as good as the desktop that sets the hint (GNOME does).
 */
export const parseLogind = (out: string, nowMs: number): number | null => {
  const hint = /^IdleHint=(yes|no)$/m.exec(out)?.[1];
  if (!hint) return null;
  if (hint === 'no') return 0;
  const since = num(/^IdleSinceHint=(\d+)$/m.exec(out)?.[1]);
  if (!since) return Infinity;
  return Math.max(0, (nowMs - since / 1000) / 1000);
};

/** macOS `ioreg -c IOHIDSystem -d 4`: `"HIDIdleTime" = 1234567890` in nanoseconds. */
export const parseIoreg = (out: string): number | null => {
  const ns = num(/"HIDIdleTime"\s*=\s*(\d+)/.exec(out)?.[1]);
  return ns === null ? null : ns / 1e9;
};

/** The Windows PowerShell one-liner (idle-platforms.ts) prints GetLastInputInfo's age in milliseconds. */
export const parseWindowsIdle = parseXprintidle;
