/**
 * Which idle source to use on this machine: every candidate for the platform is asked once, in order of
 * precision, and the first that answers is used. No display session at all means always idle.
 */
import { platform } from 'node:os';
import { execTool, type Exec } from './exec.js';
import {
  alwaysIdle, CommandIdleSource, parseIoreg, parseKdeIdle, parseLogind, parseMutter, parseScreenSaverActive,
  parseWindowsIdle, parseXprintidle, type IdleSource,
} from './idle.js';
import { StreamingIdleSource } from './idle-stream.js';

const gdbus = (dest: string, path: string, method: string) => ['call', '--session', '--dest', dest, '--object-path', path, '--method', method];

/** GetLastInputInfo through PowerShell (Windows has no command that prints it), a reading every 250 ms. */
const WINDOWS_IDLE = [
  'Add-Type -TypeDefinition \'using System;using System.Runtime.InteropServices;',
  'public static class IdleTime{[StructLayout(LayoutKind.Sequential)]struct LASTINPUTINFO{public uint cbSize;public uint dwTime;}',
  '[DllImport("user32.dll")]static extern bool GetLastInputInfo(ref LASTINPUTINFO i);',
  'public static uint Ms(){var i=new LASTINPUTINFO();i.cbSize=8;GetLastInputInfo(ref i);return (uint)Environment.TickCount-i.dwTime;}}\';',
  'while($true){[IdleTime]::Ms();Start-Sleep -Milliseconds 250}',
].join('');

export interface Environment {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  exec: Exec;
  now: () => number;
}

const real = (): Environment => ({ platform: platform(), env: process.env, exec: execTool, now: Date.now });

/** The candidates for this platform, most precise first. */
export function idleCandidates(e: Environment = real()): IdleSource[] {
  const { exec } = e;
  if (e.platform === 'darwin') return [new CommandIdleSource('macOS HIDIdleTime (ioreg)', exec, 'ioreg', ['-c', 'IOHIDSystem', '-d', '4'], parseIoreg)];
  if (e.platform === 'win32') {
    return [new StreamingIdleSource('Windows GetLastInputInfo (PowerShell)', 'powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', WINDOWS_IDLE], parseWindowsIdle)];
  }
  const session = e.env.XDG_SESSION_ID;
  const list: IdleSource[] = [
    new CommandIdleSource('GNOME Mutter IdleMonitor (gdbus)', exec, 'gdbus', gdbus('org.gnome.Mutter.IdleMonitor', '/org/gnome/Mutter/IdleMonitor/Core', 'org.gnome.Mutter.IdleMonitor.GetIdletime'), parseMutter),
    new CommandIdleSource('KDE ScreenSaver GetSessionIdleTime (gdbus)', exec, 'gdbus', gdbus('org.freedesktop.ScreenSaver', '/org/freedesktop/ScreenSaver', 'org.freedesktop.ScreenSaver.GetSessionIdleTime'), parseKdeIdle),
  ];
  if (e.env.DISPLAY) {
    list.push(new CommandIdleSource('X11 XScreenSaver (xprintidle)', exec, 'xprintidle', [], parseXprintidle));
    list.push(new CommandIdleSource('X11 XScreenSaver (xssstate)', exec, 'xssstate', ['-i'], parseXprintidle));
  }
  list.push(new CommandIdleSource('screen locked (org.freedesktop.ScreenSaver GetActive)', exec, 'gdbus', gdbus('org.freedesktop.ScreenSaver', '/org/freedesktop/ScreenSaver', 'org.freedesktop.ScreenSaver.GetActive'), parseScreenSaverActive));
  if (session) list.push(new CommandIdleSource(`logind IdleHint (session ${session})`, exec, 'loginctl', ['show-session', session, '-p', 'IdleHint', '-p', 'IdleSinceHint'], (o) => parseLogind(o, e.now())));
  return list;
}

/** Is there a graphical session this worker could be sharing the machine with? */
export async function hasDisplaySession(e: Environment = real()): Promise<boolean> {
  if (e.platform === 'darwin' || e.platform === 'win32') return true;
  if (e.env.DISPLAY || e.env.WAYLAND_DISPLAY) return true;
  // A service has no DISPLAY even when someone is logged in at the screen: ask logind.
  const out = await e.exec('loginctl', ['list-sessions', '--no-legend']);
  if (!out) return false;
  for (const id of out.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean)) {
    const type = await e.exec('loginctl', ['show-session', id, '-p', 'Type', '--value']);
    if (type && /^(x11|wayland|mir)$/.test(type.trim())) return true;
  }
  return false;
}

/**
 * The source to use: the first candidate that answers. With a display session and no answering
 * candidate the result is a source that always says "cannot tell", and the worker says why it waits.
 */
export async function detectIdleSource(e: Environment = real()): Promise<IdleSource> {
  if (!(await hasDisplaySession(e))) return alwaysIdle;
  for (const c of idleCandidates(e)) if ((await c.idleSeconds()) !== null) return c;
  return { name: 'none answered (install xprintidle, or run under GNOME or KDE)', idleSeconds: async () => null };
}
