/**
 * `idlegrid service install|remove`: the worker as a systemd user service, started with the volunteer's
 * session (and, with lingering, at boot), restarted after a crash, at the lowest CPU and I/O priority
 * the kernel has (nice 19, SCHED_IDLE, the idle I/O class), so the machine's owner never waits for it.
 * macOS (launchd) and Windows (Task Scheduler) are set up by hand: docs/joining.md says how.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { packageRoot } from '../coordinator/views/assets.js';
import { saveAccountKey } from '../worker/account-file.js';
import { defaultConfigDir } from '../worker/identity.js';
import { coordinatorUrl } from './client.js';

export const UNIT_NAME = 'idlegrid-worker.service';

export function unitPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd', 'user', UNIT_NAME);
}

/** One ExecStart word, quoted as systemd reads it: specifiers (%) and variables ($) kept literal. */
export function systemdWord(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

export interface ServiceOptions {
  coordinator: string;
  name?: string;
  configDir?: string;
}

export function unitFile(o: ServiceOptions, node = process.execPath, cli = join(packageRoot(), 'bin', 'idlegrid.js')): string {
  const args = [node, cli, 'worker', '--coordinator', o.coordinator, '--json',
    ...(o.configDir ? ['--config-dir', resolve(o.configDir)] : []), ...(o.name ? ['--name', o.name] : [])];
  return [
    `# Written by \`idlegrid service install\`; \`idlegrid service remove\` undoes it. A user service, so that`,
    '# --idle-only can ask the desktop session how long you have been away (docs/worker.md).',
    '[Unit]',
    `Description=idlegrid volunteer worker for ${o.coordinator.replace(/%/g, '%%')}`,
    `Documentation=${pathToFileURL(join(packageRoot(), 'docs', 'joining.md')).href}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    // Preferences stay in the config directory's preferences.json (`idlegrid ctl set`): flags here would
    // override that file at every start.
    `ExecStart=${args.map(systemdWord).join(' ')}`,
    '# SIGTERM: finish the slice, checkpoint, hand back unstarted units, say bye, exit.',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=30',
    'Restart=on-failure',
    'RestartSec=30',
    '# The lowest priority there is, for CPU and disk. The kernel shares CPU between cgroups before it',
    '# looks at a process\'s nice or policy, so the service\'s cgroup yields too (1 against the default 100).',
    'CPUWeight=1',
    'Nice=19',
    'CPUSchedulingPolicy=idle',
    'IOSchedulingClass=idle',
    'NoNewPrivileges=yes',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

function systemctl(...args: string[]): { ok: boolean; text: string } {
  const r = spawnSync('systemctl', ['--user', ...args], { encoding: 'utf8' });
  const text = (r.error?.message ?? `${r.stderr}${r.stdout}`).trim();
  return { ok: r.status === 0, text };
}

function notLinux(): never {
  throw new Error(`\`idlegrid service\` sets up systemd (Linux); on ${process.platform} see docs/joining.md (${join(packageRoot(), 'docs', 'joining.md')}) for launchd (macOS) or Task Scheduler (Windows)`);
}

interface InstallFlags {
  coordinator?: string;
  name?: string;
  account?: string;
  configDir?: string;
  enable: boolean;
}

function install(f: InstallFlags): void {
  if (process.platform !== 'linux') notLinux();
  const coordinator = coordinatorUrl(f.coordinator);
  // The key goes to the worker's config directory (mode 0600), never into the unit file, which others may read.
  if (f.account) saveAccountKey(f.configDir ?? defaultConfigDir(), f.account);
  const path = unitPath();
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, unitFile({ coordinator, name: f.name, configDir: f.configDir }));
  process.stdout.write(`wrote ${path}\n`);
  if (!f.enable) {
    process.stdout.write(`not enabled (--no-enable); start it with: systemctl --user daemon-reload && systemctl --user enable --now ${UNIT_NAME}\n`);
    return;
  }
  for (const step of [['daemon-reload'], ['enable', '--now', UNIT_NAME]]) {
    const r = systemctl(...step);
    if (!r.ok) {
      throw new Error(`systemctl --user ${step.join(' ')} failed: ${r.text || 'no output'}. The unit is written; in a desktop or ssh session with systemd run: systemctl --user daemon-reload && systemctl --user enable --now ${UNIT_NAME}`);
    }
  }
  process.stdout.write(`enabled and started ${UNIT_NAME}: the worker runs whenever you are logged in, at the lowest CPU and I/O priority.\n`
    + `  logs:   journalctl --user -u ${UNIT_NAME} -f\n  status: idlegrid ctl status\n`
    + '  to keep it running while you are logged out (and from boot): loginctl enable-linger $USER\n'
    + '  to remove it: idlegrid service remove\n');
}

function remove(): void {
  if (process.platform !== 'linux') notLinux();
  const path = unitPath();
  if (!existsSync(path)) {
    process.stdout.write(`no idlegrid worker service is installed (${path} does not exist)\n`);
    return;
  }
  if (!readFileSync(path, 'utf8').includes('idlegrid service install')) throw new Error(`${path} was not written by \`idlegrid service install\`; remove it yourself if you mean to`);
  const stop = systemctl('disable', '--now', UNIT_NAME);
  rmSync(path);
  const reload = systemctl('daemon-reload');
  process.stdout.write(`removed ${path}\n`);
  if (!stop.ok || !reload.ok) process.stdout.write(`note: systemctl --user could not stop or forget it (${(stop.ok ? reload : stop).text || 'no output'}); if a worker still runs, stop it with: idlegrid ctl finish\n`);
}

export function serviceCommand(program: Command): void {
  const service = program.command('service').description('run the worker as a systemd user service (Linux): started with your session, at the lowest CPU and I/O priority');
  service
    .command('install')
    .description(`write ~/.config/systemd/user/${UNIT_NAME} and enable it (systemctl --user enable --now)`)
    .option('--coordinator <url>', 'coordinator URL (default: IDLEGRID_COORDINATOR or http://127.0.0.1:8080)')
    .option('--name <name>', 'a name for this host on the dashboard')
    .option('--account <key>', 'account key to earn credit with (saved in the config directory, mode 0600)')
    .option('--config-dir <dir>', 'the worker\'s config directory (default: the worker\'s own default)')
    .option('--no-enable', 'only write the unit file')
    .action((f: InstallFlags) => install(f));
  service
    .command('remove')
    .description(`stop and disable the service and delete its unit file`)
    .action(() => remove());
}
