import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CreditLog, OPS_PER_COBBLESTONE } from './credit.js';
import type { WorkerSnapshot } from './status.js';
import { render } from './view.js';

const snapshot = (over: Partial<WorkerSnapshot> = {}): WorkerSnapshot => ({
  hostId: 'h-test0001', coordinator: 'http://127.0.0.1:8080', state: 'running', connected: true, threads: 3,
  units: [
    { leaseId: 'abcdef.4.0', kind: 'keysearch', slot: 0, fraction: 0.5, computeS: 10, etaS: 10, opsPerS: 1e10, itemsPerS: 2.1e7, itemName: 'keys', paused: false, deadline: 0 },
    { leaseId: 'abcdef.5.0', kind: 'fftscan', slot: 1, fraction: 0.25, computeS: 5, etaS: 15, opsPerS: 3.2e9, itemsPerS: null, itemName: null, paused: true, deadline: 0 },
  ],
  buffered: 2, outbox: 1, unitsDone: 7, credit: { granted: 1.5, claimed: 0.25 }, rates: {}, ...over,
});

describe('terminal view', () => {
  it('shows the state with its reason, each thread with bar, kind, rate and ETA, credit today and the buffer', () => {
    const lines = render({ worker: snapshot({ state: 'paused: user active (input 2 s ago; computing starts after 3 min idle)' }) }, 140);
    expect(lines[0]).toMatch(/h-test0001 .* credit today 1\.50 \(\+0\.25 awaiting validation\) .* units done 7/);
    expect(lines[1]).toBe('state: paused: user active (input 2 s ago; computing starts after 3 min idle)');
    expect(lines[2]).toMatch(/#1 keysearch +\[#+\.+\] +50\.0% +ETA 0:10 +21\.0 Mkeys\/s +abcdef\.4\.0/);
    expect(lines[3]).toMatch(/#2 fftscan .* 25\.0% +paused +3\.2 GFLOPS/);
    expect(lines[4]).toMatch(/#3 idle/);
    expect(lines[5]).toMatch(/buffer: 2 unit\(s\) ready +results waiting to be sent: 1/);
    for (const l of render({ worker: snapshot() }, 60)) expect(l.length).toBeLessThanOrEqual(60);
    // While running, a stopped thread is resting in the CPU-time cap's duty cycle.
    expect(render({ worker: snapshot() }, 140)[3]).toMatch(/25\.0% +resting/);
  });
});

describe('credit today', () => {
  it('claims on acceptance, grants on validation, survives a restart, starts again at zero the next day', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ig-credit-'));
    let now = new Date(2025, 5, 1, 23, 0).getTime();
    const log = new CreditLog(dir, () => now);
    log.claim('j.1.0', 2 * OPS_PER_COBBLESTONE);
    log.claim('j.2.0', OPS_PER_COBBLESTONE);
    expect(log.today()).toEqual({ granted: 0, claimed: 3 });
    log.grant('j.1.0', 2, true);
    log.grant('j.2.0', 1, false);
    expect(log.today()).toEqual({ granted: 2, claimed: 0 });
    expect(new CreditLog(dir, () => now).today()).toEqual({ granted: 2, claimed: 0 });
    now += 2 * 3600_000;
    expect(new CreditLog(dir, () => now).today()).toEqual({ granted: 0, claimed: 0 });
  });
});
