/** /metrics: valid Prometheus text (promtool), the grid totals and gauges from the store, turnaround. */
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCoordinator, type TestCoordinator } from '../test/helpers/coordinator.js';
import { redisUrl } from '../test/helpers/redis.js';

let coord: TestCoordinator;
const raw = new Redis(redisUrl());

beforeAll(async () => {
  // No transitioner tick during these tests: it would add the queued credit below before a scrape.
  coord = await startTestCoordinator({ sweepMs: 600_000 });
  const k = coord.services.keys;
  await raw.hset(k.key('stats'), { results_valid: 41, results_invalid: 3, results_error: 2, results_timeout: 5, units_valid: 40, units_failed: 1, credit: 12.5, ops_valid: 7e12 });
  await raw.zadd(k.key('hosts'), Date.now(), 'host-metrics1');
  await raw.hset(k.key('host', { host: 'host-metrics1' }), 'threads', 6);
  await raw.zadd(k.key('leases'), Date.now() + 60_000, 'jobmetrics.0.0', Date.now() + 60_000, 'jobmetrics.1.0');
  // Two audits due, one claimed until a minute from now (audit-queue.ts).
  await raw.zadd(k.key('audits'), Date.now() - 1_000, 'jobmetrics.2.0', Date.now() - 500, 'jobmetrics.3.1', Date.now() + 60_000, 'jobmetrics.4.0');
  // Three grants queued by validations and not yet added to the totals (keys.ts, creditPending).
  await raw.rpush(k.key('creditPending'), ...[1, 2, 3].map((i) => `host-metrics1\t\t0.5\t${i}\t${Date.now()}`));
});

afterAll(async () => {
  await coord.stop();
  raw.disconnect();
});

const scrape = async () => {
  const res = await coord.app.inject('/metrics');
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
};

/** The value of one sample line, e.g. value(text, 'idlegrid_units{state="in_flight"}'). */
const value = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series} in the exposition`);
  return Number(line.slice(series.length + 1));
};

describe('/metrics', () => {
  it('passes `promtool check metrics` (names, units, _total counters, help)', async () => {
    const text = await scrape();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error, 'promtool must be installed (Debian package prometheus)').toBeUndefined();
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });

  it('reports the grid totals and gauges from the store', async () => {
    const text = await scrape();
    expect(value(text, 'idlegrid_grid_results_total{outcome="valid"}')).toBe(41);
    expect(value(text, 'idlegrid_grid_results_total{outcome="timeout"}')).toBe(5);
    expect(value(text, 'idlegrid_grid_units_total{transition="failed"}')).toBe(1);
    expect(value(text, 'idlegrid_grid_credit_granted_total')).toBe(12.5);
    expect(value(text, 'idlegrid_grid_ops_valid_total')).toBe(7e12);
    expect(value(text, 'idlegrid_hosts_active')).toBe(1);
    expect(value(text, 'idlegrid_threads_active')).toBe(6);
    expect(value(text, 'idlegrid_units{state="in_flight"}')).toBe(2);
    expect(value(text, 'idlegrid_units{state="queued"}')).toBe(0);
    expect(value(text, 'idlegrid_store_up')).toBe(1);
    expect(value(text, 'idlegrid_validation_queue')).toBe(0);
    expect(value(text, 'idlegrid_audits{state="waiting"}')).toBe(2);
    expect(value(text, 'idlegrid_audits{state="claimed"}')).toBe(1);
    expect(value(text, 'idlegrid_credit_pending')).toBe(3);
    expect(value(text, 'idlegrid_verifier_threads')).toBe(1);
    expect(text).toMatch(/^idlegrid_flops \d/m);
    expect(text).toMatch(/^idlegrid_dispatch_latency_seconds_bucket\{le="0\.001"\} 0$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('counts report.lua calls and the hosts\' reports they stored', async () => {
    const before = await scrape();
    // Two hosts' reports of leases that do not exist: refused, but stored by one call each or together.
    const got = await Promise.all(['h1', 'h2'].map((h) => coord.services.reports.store(h, [['nojob', 0, 0, 'R', '{}', 0]])));
    expect(got).toEqual([['UNKNOWN_LEASE'], ['UNKNOWN_LEASE']]);
    const text = await scrape();
    expect(value(text, 'idlegrid_reports_stored_total') - value(before, 'idlegrid_reports_stored_total')).toBe(2);
    const calls = value(text, 'idlegrid_report_calls_total') - value(before, 'idlegrid_report_calls_total');
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(2);
  });

  it('counts lease.lua calls and the hosts\' requests they served', async () => {
    const before = await scrape();
    // Three hosts asking at once for a kind no job is of: answered, by one call each or fewer.
    const got = await Promise.all(['h1', 'h2', 'h3'].map((h) => coord.services.dispatcher.lease({
      hostId: h, accountId: '', kinds: ['nokind'], count: 2, network: '', threads: 1,
    })));
    expect(got.map((g) => g.units.length)).toEqual([0, 0, 0]);
    const text = await scrape();
    expect(value(text, 'idlegrid_lease_requests_total') - value(before, 'idlegrid_lease_requests_total')).toBe(3);
    const calls = value(text, 'idlegrid_lease_calls_total') - value(before, 'idlegrid_lease_calls_total');
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(3);
  });

  it('observes unit turnaround from the first lease to validation', async () => {
    const jobKey = coord.services.keys.key('job', { job: 'jobturnaround' });
    await raw.hset(jobKey, 'delayMs', 600_000);
    const validated = Date.now();
    // Replica 0 was leased 42 s before validation: its deadline is then 600 s after that.
    coord.services.metrics.unitValidated('jobturnaround', { d0: String(validated - 42_000 + 600_000) }, validated);
    coord.services.metrics.unitValidated('jobturnaround', { d1: 'no replica 0' }, validated);
    let text = '';
    for (let i = 0; i < 50 && !/^idlegrid_unit_turnaround_seconds_count 1$/m.test(text); i++) {
      await new Promise((r) => setTimeout(r, 20));
      text = await scrape();
    }
    expect(value(text, 'idlegrid_unit_turnaround_seconds_count')).toBe(1);
    expect(value(text, 'idlegrid_unit_turnaround_seconds_sum')).toBeCloseTo(42, 6);
    expect(value(text, 'idlegrid_unit_turnaround_seconds_bucket{le="30"}')).toBe(0);
    expect(value(text, 'idlegrid_unit_turnaround_seconds_bucket{le="60"}')).toBe(1);
  });
});
