/**
 * Is the machine running on battery? Linux: /sys/class/power_supply (a Mains or USB supply online means
 * no; batteries alone discharging means yes; no battery at all means a desktop, so no). macOS: `pmset
 * -g batt`. Windows: Win32_Battery's BatteryStatus (1 = discharging). null when it cannot tell.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Exec } from './exec.js';

const read = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
};

export function linuxOnBattery(root = '/sys/class/power_supply'): boolean | null {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return null;
  }
  let batteries = 0;
  let discharging = false;
  for (const n of names) {
    const type = read(join(root, n, 'type'));
    if (type === 'Mains' || type === 'USB' || type === 'USB_C' || type === 'USB_PD') {
      if (read(join(root, n, 'online')) === '1') return false;
    } else if (type === 'Battery' && read(join(root, n, 'scope')) !== 'Device') {
      // scope=Device marks a mouse's or keyboard's battery, not the machine's.
      batteries++;
      if (read(join(root, n, 'status')) === 'Discharging') discharging = true;
    }
  }
  return batteries > 0 ? discharging : false;
}

export const parsePmset = (out: string): boolean | null => {
  if (/'AC Power'/.test(out)) return false;
  if (/'Battery Power'/.test(out)) return true;
  return null;
};

/** `(Get-CimInstance Win32_Battery).BatteryStatus`: empty (no battery) or 1 (discharging), 2+ otherwise. */
export const parseWin32Battery = (out: string): boolean | null => {
  const t = out.trim();
  if (t === '') return false;
  const n = Number(t.split(/\s+/)[0]);
  return Number.isFinite(n) ? n === 1 : null;
};

export function batteryReader(platform: NodeJS.Platform, exec: Exec): () => Promise<boolean | null> {
  if (platform === 'linux') return async () => linuxOnBattery();
  if (platform === 'darwin') return async () => {
    const out = await exec('pmset', ['-g', 'batt']);
    return out === null ? null : parsePmset(out);
  };
  if (platform === 'win32') return async () => {
    const out = await exec('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', '(Get-CimInstance Win32_Battery).BatteryStatus']);
    return out === null ? null : parseWin32Battery(out);
  };
  return async () => null;
}
