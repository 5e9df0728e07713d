/**
 * Prometheus metrics (prom-client). Two sorts:
 * - what this process did (dispatch, gateway results, turnaround it observed): sum them across coordinators;
 * - the grid as a whole, read from Redis at scrape time (`idlegrid_grid_*` totals and the gauges): every
 *   coordinator reports the same value, so aggregate those with max(), not sum().
 * No label takes per-host or per-job values: cardinality stays fixed however large the grid grows.
 */
import client from 'prom-client';
import type { Redis } from 'ioredis';
import { GridReader } from './history.js';
import type { RecordingUsage } from './inputs/catalog.js';
import type { Keys } from './store/keys.js';
import { auditPassed, replicaField, type AuditLetter } from './store/unit-layout.js';

/** Grid-wide totals: metric label -> field of the `stats` hash that the Lua scripts count in. */
const GRID_RESULTS = { valid: 'results_valid', invalid: 'results_invalid', error: 'results_error', timeout: 'results_timeout' } as const;
const GRID_UNITS = { valid: 'units_valid', failed: 'units_failed' } as const;

/** A scrape waits this long for the store; then it reports the process alone, with idlegrid_store_up 0. */
const GRID_SCRAPE_TIMEOUT_MS = 2_000;

/** A gathering script caller's counts (group-commit.ts). */
export interface Gathered {
  calls: number;
  requests: number;
}

export class Metrics {
  /** What this process knows by itself: answers even when Redis does not. */
  readonly registry = new client.Registry();
  /** The grid, read from Redis at scrape time. */
  readonly gridRegistry = new client.Registry();
  readonly contentType = this.registry.contentType;
  private readonly storeUp = new client.Gauge({ name: 'idlegrid_store_up', help: '1 when this coordinator\'s last scrape read the grid from Redis, 0 when Redis did not answer', registers: [this.registry] });
  private readonly resultsTotal = new client.Counter({ name: 'idlegrid_results_total', help: 'Results received by this coordinator, by outcome at the gateway', labelNames: ['outcome'], registers: [this.registry] });
  private readonly leasedTotal = new client.Counter({ name: 'idlegrid_units_leased_total', help: 'Replicas this coordinator handed to hosts', registers: [this.registry] });
  private readonly auditsTotal = new client.Counter({ name: 'idlegrid_audits_total', help: 'Results this coordinator\'s verifier audited, by finding (passed, failed)', labelNames: ['finding'], registers: [this.registry] });
  private readonly auditOps = new client.Counter({ name: 'idlegrid_audit_operations_total', help: 'Operations this coordinator\'s verifier spent recomputing audited blocks', registers: [this.registry] });
  private readonly dispatchLatency = new client.Histogram({
    name: 'idlegrid_dispatch_latency_seconds',
    help: 'Time to choose and lease units for one work request',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  private readonly turnaround = new client.Histogram({
    name: 'idlegrid_unit_turnaround_seconds',
    help: 'From a unit\'s first lease to its validation, for units this coordinator validated',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400],
    registers: [this.registry],
  });
  private readonly delays = new Map<string, number>();

  constructor(private readonly redis: Redis, private readonly keys: Keys, recordings?: { usage(): Promise<RecordingUsage> }) {
    client.collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges *_total, which Prometheus reserves for counters (promtool flags them);
    // each is the sum over the labelled gauge of the same name without the suffix, so nothing is lost.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }
    const registers = [this.gridRegistry];
    const grid = new GridReader(redis, keys);
    let stats: { at: number; value: Promise<Record<string, string>> } | undefined;
    // One HGETALL per scrape, however many metrics read the hash.
    const readStats = () => {
      if (!stats || Date.now() - stats.at > 1_000) stats = { at: Date.now(), value: redis.hgetall(keys.key('stats')) };
      return stats.value;
    };
    const total = (name: string, help: string, labelName: string, fields: Record<string, string>) =>
      new client.Counter({
        name, help, labelNames: [labelName], registers,
        async collect() {
          const s = await readStats();
          this.reset();
          for (const [label, field] of Object.entries(fields)) this.inc({ [labelName]: label }, Number(s[field] ?? 0) || 0);
        },
      });
    total('idlegrid_grid_results_total', 'Results settled on the whole grid since the store began, by outcome', 'outcome', GRID_RESULTS);
    total('idlegrid_grid_units_total', 'Units that reached a final state on the whole grid, by transition', 'transition', GRID_UNITS);
    for (const [name, field, help] of [
      ['idlegrid_grid_credit_granted_total', 'credit', 'Credit granted on the whole grid since the store began, in cobblestones'],
      ['idlegrid_grid_ops_valid_total', 'ops_valid', 'Operations of validated results since the store began; rate() of it is the grid\'s FLOPS'],
    ] as const) {
      new client.Counter({
        name, help, registers,
        async collect() {
          const s = await readStats();
          this.reset();
          this.inc(Number(s[field] ?? 0) || 0);
        },
      });
    }

    const gauge = (name: string, help: string, read: (g: Awaited<ReturnType<GridReader['read']>>) => number) =>
      new client.Gauge({ name, help, registers, async collect() { this.set(read(await grid.read())); } });
    gauge('idlegrid_hosts_active', 'Hosts heard from in the last 60 seconds', (g) => g.sample.hosts);
    gauge('idlegrid_threads_active', 'Compute threads declared by the active hosts', (g) => g.sample.threads);
    gauge('idlegrid_flops', 'Operations per second of the work validated in the last minute (the dashboard\'s FLOPS)', (g) => g.flops);
    new client.Gauge({
      name: 'idlegrid_units',
      help: 'Units waiting for a host (queued), replicas out with hosts (in_flight), units waiting for the validator (validating)',
      labelNames: ['state'],
      registers,
      async collect() {
        const { sample } = await grid.read();
        this.set({ state: 'queued' }, sample.queued);
        this.set({ state: 'in_flight' }, sample.inFlight);
        this.set({ state: 'validating' }, sample.validating);
      },
    });
    new client.Gauge({
      name: 'idlegrid_audits',
      help: 'Results waiting for their audit (waiting), and audits claimed by a coordinator or waiting to be tried again (claimed), on the whole grid',
      labelNames: ['state'],
      registers,
      async collect() {
        const [all, due] = await Promise.all([redis.zcard(keys.key('audits')), redis.zcount(keys.key('audits'), '-inf', Date.now())]);
        this.set({ state: 'waiting' }, due);
        this.set({ state: 'claimed' }, all - due);
      },
    });
    new client.Gauge({
      name: 'idlegrid_credit_pending',
      help: 'Grants of credit judged valid and not yet added to the hosts\', accounts\' and teams\' totals (added in batches, normally within a second)',
      registers,
      async collect() { this.set(await redis.llen(keys.key('creditPending'))); },
    });
    if (recordings) {
      // One read of the catalog per scrape, however many metrics use it.
      let usage: { at: number; value: Promise<RecordingUsage> } | undefined;
      const readUsage = () => {
        if (!usage || Date.now() - usage.at > 1_000) usage = { at: Date.now(), value: recordings.usage() };
        return usage.value;
      };
      new client.Gauge({
        name: 'idlegrid_recordings', help: 'Uploaded recordings stored (complete, readable through every coordinator)', registers,
        async collect() { this.set((await readUsage()).recordings); },
      });
      new client.Gauge({
        name: 'idlegrid_recording_bytes',
        help: 'Bytes of uploaded recordings: stored (complete), uploading (received so far by uploads in progress)',
        labelNames: ['state'],
        registers,
        async collect() {
          const u = await readUsage();
          this.set({ state: 'stored' }, u.bytes);
          this.set({ state: 'uploading' }, u.uploadingBytes);
        },
      });
    }
  }

  /** The text exposition: the grid's metrics when Redis answers in time, this process's always. */
  async scrape(): Promise<string> {
    let grid = '';
    if (this.redis.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(''), GRID_SCRAPE_TIMEOUT_MS)));
      grid = await Promise.race([this.gridRegistry.metrics().catch(() => ''), timeout]);
      clearTimeout(timer);
    }
    this.storeUp.set(grid ? 1 : 0);
    return (await this.registry.metrics()) + grid;
  }

  dispatched(units: number, seconds: number): void {
    this.leasedTotal.inc(units);
    this.dispatchLatency.observe(seconds);
  }

  audited(finding: AuditLetter, opsDone: number): void {
    this.auditsTotal.inc({ finding: auditPassed(finding) ? 'passed' : 'failed' });
    this.auditOps.inc(opsDone);
  }

  results(items: Array<{ status: 'accepted' | 'rejected' }>): void {
    for (const i of items) this.resultsTotal.inc({ outcome: i.status });
  }

  /**
   * For the validator, when it has marked a unit valid, with the unit hash it decided on. Replica 0 was
   * the first leased, at its deadline (d0) less the job's delay bound, which is read once per job.
   */
  unitValidated(jobId: string, unit: Record<string, string>, validatedMs: number): void {
    const firstDeadline = Number(unit[replicaField('deadline', 0)]);
    if (!Number.isFinite(firstDeadline)) return;
    void this.delayMs(jobId)
      .then((delay) => {
        if (delay !== null) this.turnaround.observe(Math.max(0, validatedMs - (firstDeadline - delay)) / 1000);
      })
      .catch(() => {
        /* a store hiccup loses one observation, never a validation */
      });
  }

  /**
   * Calls of the two hot scripts and the hosts' requests they carried (group-commit.ts: report-queue.ts
   * for reports, dispatch.ts for leases): their ratio is how many hosts share a call, which is what keeps
   * Redis time per result down under load.
   */
  watchStoreCalls(reports: () => Gathered, leases: () => Gathered): void {
    for (const [name, help, read] of [
      ['idlegrid_report_calls_total', 'report.lua calls this coordinator made to store hosts\' reports', () => reports().calls],
      ['idlegrid_reports_stored_total', 'Hosts\' reports this coordinator stored; over idlegrid_report_calls_total, the reports per call', () => reports().requests],
      ['idlegrid_lease_calls_total', 'lease.lua calls this coordinator made to hand out work', () => leases().calls],
      ['idlegrid_lease_requests_total', 'Hosts\' requests for work this coordinator served; over idlegrid_lease_calls_total, the requests per call', () => leases().requests],
    ] as const) {
      new client.Counter({
        name, help, registers: [this.registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    }
  }

  /** This coordinator's verifier: its threads, and the audits it runs and holds claims on (audit-queue.ts). */
  watchVerifier(load: () => { threads: number; running: number; held: number }): void {
    new client.Gauge({
      name: 'idlegrid_verifier_threads', help: 'Threads this coordinator audits results with (--verifier-threads)', registers: [this.registry],
      collect() { this.set(load().threads); },
    });
    new client.Gauge({
      name: 'idlegrid_verifier_audits',
      help: 'Audits this coordinator is running (running) and holds claims on, running, waiting for a thread or run and not yet recorded (held)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const l = load();
        this.set({ state: 'running' }, l.running);
        this.set({ state: 'held' }, l.held);
      },
    });
  }

  /** Units this coordinator has queued for validation and not yet decided (validation-queue.ts). */
  watchValidationQueue(size: () => number): void {
    new client.Gauge({
      name: 'idlegrid_validation_queue',
      help: 'Units with results to compare that this coordinator has queued and not yet validated',
      registers: [this.registry],
      collect() { this.set(size()); },
    });
  }

  private async delayMs(jobId: string): Promise<number | null> {
    const hit = this.delays.get(jobId);
    if (hit !== undefined) return hit;
    const v = await this.redis.hget(this.keys.key('job', { job: jobId }), 'delayMs');
    if (v === null) return null;
    if (this.delays.size > 10_000) this.delays.clear();
    this.delays.set(jobId, Number(v));
    return Number(v);
  }
}
