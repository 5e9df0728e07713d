/**
 * Sensors: each platform's parser on the output its helper prints, sysfs and /proc readers on trees
 * built in a temp directory, and the exec and streaming mechanisms on real child processes.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linuxOnBattery, parsePmset, parseWin32Battery } from './sensors/battery.js';
import { CpuLoad, parseProcStat, parseTaskStat } from './sensors/cpu-load.js';
import { execTool, type Exec } from './sensors/exec.js';
import { CommandIdleSource, alwaysIdle, parseIoreg, parseLogind, parseMutter, parseScreenSaverActive, parseXprintidle } from './sensors/idle.js';
import { detectIdleSource, idleCandidates, type Environment } from './sensors/idle-platforms.js';
import { StreamingIdleSource } from './sensors/idle-stream.js';
import { linuxCpuTemperature } from './sensors/temperature.js';
import { waitFor } from '../test/helpers/processes.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ig-sys-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('idle time parsers', () => {
  it('read each helper\'s answer as seconds', () => {
    expect(parseMutter('(uint64 12345,)\n')).toBeCloseTo(12.345);
    expect(parseMutter('Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown')).toBeNull();
    expect(parseXprintidle('4200\n')).toBeCloseTo(4.2);
    expect(parseXprintidle('couldn\'t open display')).toBeNull();
    expect(parseScreenSaverActive('(true,)\n')).toBe(Infinity);
    expect(parseScreenSaverActive('(false,)')).toBe(0);
    expect(parseIoreg('    |   "HIDIdleTime" = 7500000000\n')).toBeCloseTo(7.5);
    expect(parseIoreg('nothing here')).toBeNull();
    const now = Date.UTC(2025, 0, 1, 12);
    expect(parseLogind('IdleHint=no\nIdleSinceHint=0\n', now)).toBe(0);
    expect(parseLogind(`IdleHint=yes\nIdleSinceHint=${(now - 90_000) * 1000}\n`, now)).toBeCloseTo(90);
    expect(parseLogind('Failed to get session', now)).toBeNull();
  });
});

describe('choosing the idle source', () => {
  const env = (e: Partial<Environment>, answers: Record<string, string | null>): Environment => ({
    platform: 'linux',
    env: {},
    now: Date.now,
    exec: (async (cmd, args) => answers[`${cmd} ${args.join(' ')}`] ?? answers[cmd] ?? null) as Exec,
    ...e,
  });

  it('no display session and no graphical login: always idle', async () => {
    expect(await detectIdleSource(env({}, {}))).toBe(alwaysIdle);
    expect(await alwaysIdle.idleSeconds()).toBe(Infinity);
  });

  it('a graphical login seen by logind counts as a display session even without DISPLAY (a service)', async () => {
    const e = env({ env: { XDG_SESSION_ID: '3' } }, {
      'loginctl list-sessions --no-legend': '3 1000 alice seat0 tty2\n',
      'loginctl show-session 3 -p Type --value': 'wayland\n',
      'loginctl show-session 3 -p IdleHint -p IdleSinceHint': 'IdleHint=no\nIdleSinceHint=0\n',
    });
    const s = await detectIdleSource(e);
    expect(s.name).toMatch(/logind IdleHint/);
    expect(await s.idleSeconds()).toBe(0);
  });

  it('prefers GNOME Mutter, then KDE, then X11 tools, then a locked screen, then logind', async () => {
    const names = idleCandidates(env({ env: { DISPLAY: ':0', XDG_SESSION_ID: '2' } }, {})).map((c) => c.name);
    expect(names).toEqual([
      'GNOME Mutter IdleMonitor (gdbus)', 'KDE ScreenSaver GetSessionIdleTime (gdbus)', 'X11 XScreenSaver (xprintidle)',
      'X11 XScreenSaver (xssstate)', 'screen locked (org.freedesktop.ScreenSaver GetActive)', 'logind IdleHint (session 2)',
    ]);
    const x11 = await detectIdleSource(env({ env: { DISPLAY: ':0' } }, { xprintidle: '1500\n' }));
    expect(x11.name).toBe('X11 XScreenSaver (xprintidle)');
    expect(await x11.idleSeconds()).toBeCloseTo(1.5);
    const gnome = await detectIdleSource(env({ env: { WAYLAND_DISPLAY: 'wayland-0' } }, { gdbus: '(uint64 2000,)' }));
    expect(gnome.name).toMatch(/GNOME Mutter/);
    expect(idleCandidates(env({ platform: 'darwin' }, {}))[0].name).toMatch(/HIDIdleTime/);
    expect(idleCandidates(env({ platform: 'win32' }, {}))[0].name).toMatch(/GetLastInputInfo/);
  });

  it('a display session where nothing answers: a source that says it cannot tell', async () => {
    const s = await detectIdleSource(env({ env: { DISPLAY: ':0' } }, {}));
    expect(s.name).toMatch(/install xprintidle/);
    expect(await s.idleSeconds()).toBeNull();
  });

  it('asks a real helper program each time (exec mechanism)', async () => {
    const s = new CommandIdleSource('node', execTool, process.execPath, ['-e', 'console.log("(uint64 3000,)")'], parseMutter);
    expect(await s.idleSeconds()).toBeCloseTo(3);
    const missing = new CommandIdleSource('missing', execTool, 'idlegrid-no-such-helper', [], parseMutter);
    expect(await missing.idleSeconds()).toBeNull();
  });

  it('reads a long-lived helper\'s latest line (the Windows PowerShell loop), and says null once it stops', async () => {
    // The helper prints, every 50 ms, what the test last wrote to a file, and exits when told: the test
    // decides what it says and when, however slowly a loaded machine starts it.
    const file = join(mkdtempSync(join(tmpdir(), 'ig-idle-')), 'reading');
    writeFileSync(file, '1000');
    const script = `const fs = require('fs'); setInterval(() => { const t = fs.readFileSync(${JSON.stringify(file)}, 'utf8'); if (t === 'exit') process.exit(0); console.log(t); }, 50)`;
    const s = new StreamingIdleSource('node loop', process.execPath, ['-e', script], parseXprintidle, 1_000);
    try {
      await waitFor('the first reading', async () => (await s.idleSeconds()) === 1);
      writeFileSync(file, '3000');
      await waitFor('the latest reading', async () => (await s.idleSeconds()) === 3);
      writeFileSync(file, 'exit');
      await waitFor('no reading once the helper has stopped', async () => (await s.idleSeconds()) === null);
    } finally {
      s.close();
    }
  });
});

describe('battery', () => {
  it('laptop on battery, on mains, a desktop, and a mouse battery that does not count', () => {
    const bat = (status: string, scope = 'System') => ({ 'BAT0/type': 'Battery\n', 'BAT0/status': `${status}\n`, 'BAT0/scope': `${scope}\n` });
    expect(linuxOnBattery(tree({ ...bat('Discharging'), 'AC/type': 'Mains\n', 'AC/online': '0\n' }))).toBe(true);
    expect(linuxOnBattery(tree({ ...bat('Charging'), 'AC/type': 'Mains\n', 'AC/online': '1\n' }))).toBe(false);
    expect(linuxOnBattery(tree({ 'AC/type': 'Mains\n', 'AC/online': '1\n' }))).toBe(false);
    expect(linuxOnBattery(tree({ ...bat('Discharging', 'Device') }))).toBe(false);
    expect(linuxOnBattery('/nonexistent/power_supply')).toBeNull();
    expect(parsePmset("Now drawing from 'Battery Power'\n -InternalBattery-0 85%; discharging")).toBe(true);
    expect(parsePmset("Now drawing from 'AC Power'")).toBe(false);
    expect(parseWin32Battery('1\r\n')).toBe(true);
    expect(parseWin32Battery('2\r\n')).toBe(false);
    expect(parseWin32Battery('')).toBe(false);
  });
});

describe('temperature', () => {
  it('takes the hottest CPU hwmon sensor, else a CPU thermal zone, and ignores others', () => {
    const hw = tree({
      'hwmon/hwmon0/name': 'nvme\n', 'hwmon/hwmon0/temp1_input': '99000\n',
      'hwmon/hwmon1/name': 'coretemp\n', 'hwmon/hwmon1/temp1_input': '61000\n', 'hwmon/hwmon1/temp2_input': '67500\n',
    });
    expect(linuxCpuTemperature(hw)).toBe(67.5);
    const zones = tree({
      'thermal/thermal_zone0/type': 'iwlwifi_1\n', 'thermal/thermal_zone0/temp': '90000\n',
      'thermal/thermal_zone1/type': 'x86_pkg_temp\n', 'thermal/thermal_zone1/temp': '55000\n',
    });
    expect(linuxCpuTemperature(zones)).toBe(55);
    expect(linuxCpuTemperature(tree({ 'thermal/cooling_device0/type': 'fan\n' }))).toBeNull();
  });
});

describe('other programs\' CPU use', () => {
  const task = (utime: number, stime: number, nice: number) => `123 (node (main)) S 1 1 1 0 -1 0 0 0 0 0 ${utime} ${stime} 0 0 20 ${nice} 1 0`;
  const procStat = (user: number, nice: number, system: number, idle: number) => `cpu  ${user} ${nice} ${system} ${idle} 0 0 0 0 0 0\ncpu0 0 0 0 0\n`;

  it('parses /proc/stat and a thread\'s stat (niced threads count only their system time)', () => {
    expect(parseProcStat(procStat(100, 50, 20, 830))).toEqual({ busy: 120, total: 1000 });
    expect(parseTaskStat(task(70, 5, 0))).toBe(75);
    expect(parseTaskStat(task(70, 5, 19))).toBe(5);
  });

  it('subtracts this process\'s normal-priority time and leaves niced work out', () => {
    const write = (root: string, stat: string, tasks: string[]) => {
      writeFileSync(join(root, 'stat'), stat);
      tasks.forEach((t, i) => writeFileSync(join(root, 'self', 'task', String(i + 1), 'stat'), t));
    };
    const root = tree({ stat: '', 'self/task/1/stat': '', 'self/task/2/stat': '' });
    write(root, procStat(0, 0, 0, 0), [task(0, 0, 0), task(0, 0, 19)]);
    const load = new CpuLoad('linux', root);
    expect(load.method).toMatch(/proc\/stat/);
    expect(load.sample()).toBeNull();
    // 1000 ticks pass: machine user+system 400 (of which our main thread 100), nice 500 (our compute thread).
    write(root, procStat(350, 500, 50, 100), [task(90, 10, 0), task(500, 0, 19)]);
    expect(load.sample()).toBeCloseTo(0.3);
  });

  it('reads this machine for real', async () => {
    const load = new CpuLoad();
    load.sample();
    await new Promise((r) => setTimeout(r, 200));
    const v = load.sample();
    expect(v).not.toBeNull();
    expect(v!).toBeGreaterThanOrEqual(0);
    expect(v!).toBeLessThanOrEqual(1);
  });
});
