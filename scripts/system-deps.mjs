// The Debian packages the test suite needs, installed where we can (root with apt-get), otherwise named
// so a user knows what to run. Called by scripts/test.mjs; safe to run again (installs only what is missing).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const has = (cmd) => spawnSync('sh', ['-c', cmd], { stdio: 'ignore' }).status === 0;

export const NEEDS = [
  { pkg: 'redis-server', why: 'tests run a real Redis', present: () => has('command -v redis-server') },
  { pkg: 'redis-sentinel', why: 'the failover tests and benchmark run Redis Sentinel', present: () => has('command -v redis-sentinel') },
  { pkg: 'chromium', why: 'dashboard tests drive headless Chromium', present: () => existsSync('/usr/bin/chromium') },
  { pkg: 'prometheus', why: '`promtool check metrics` checks /metrics', present: () => has('command -v promtool') },
  { pkg: 'libfftw3-dev', why: 'the FFT benchmark builds an FFTW reference', present: () => existsSync('/usr/include/fftw3.h') },
  { pkg: 'systemd', why: '`systemd-analyze verify` checks the unit `idlegrid service install` writes', present: () => has('command -v systemd-analyze') },
  { pkg: 'python3-numpy', why: 'FFT tests compare against numpy', present: () => has('python3 -c "import numpy"') },
];

export function ensureSystemDeps() {
  const missing = NEEDS.filter((n) => !n.present());
  if (!missing.length) return;
  const names = missing.map((m) => m.pkg);
  if (process.getuid?.() === 0 && has('command -v apt-get')) {
    console.log(`installing Debian packages: ${names.join(' ')}`);
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', ...names], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status === 0) return;
  }
  console.error(`missing system packages:\n${missing.map((m) => `  ${m.pkg}: ${m.why}`).join('\n')}\ninstall them with: sudo apt-get install ${names.join(' ')}`);
  process.exit(1);
}
