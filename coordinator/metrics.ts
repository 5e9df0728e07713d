/**
 * Prometheus metrics (prom-client). Counters count what this process did; gauges that describe the
 * whole grid are read from Redis at scrape time, so every coordinator reports the same picture.
 * No label takes per-host or per-job values: cardinality stays fixed however large the grid grows.
 */
import client from 'prom-client';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';

export class Metrics {
  readonly registry = new client.Registry();
  private readonly resultsTotal = new client.Counter({ name: 'idlegrid_results_total', help: 'Results received, by outcome at the gateway', labelNames: ['outcome'], registers: [this.registry] });
  private readonly leasedTotal = new client.Counter({ name: 'idlegrid_units_leased_total', help: 'Replicas handed to hosts', registers: [this.registry] });
  private readonly dispatchLatency = new client.Histogram({
    name: 'idlegrid_dispatch_latency_seconds',
    help: 'Time to choose and lease units for one work request',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  constructor(redis: StoreRedis, keys: Keys) {
    client.collectDefaultMetrics({ register: this.registry });
    const registry = this.registry;
    new client.Gauge({
      name: 'idlegrid_hosts_active',
      help: 'Hosts seen in the last 60 seconds (all coordinators)',
      registers: [registry],
      async collect() {
        this.set(await redis.zcount(keys.key('hosts'), Date.now() - 60_000, '+inf'));
      },
    });
    new client.Gauge({
      name: 'idlegrid_units',
      help: 'Replicas out with hosts (in_flight) and units waiting for the validator (validating)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const [inFlight, validating] = await Promise.all([redis.zcard(keys.key('leases')), redis.zcard(keys.key('validate'))]);
        this.set({ state: 'in_flight' }, inFlight);
        this.set({ state: 'validating' }, validating);
      },
    });
    new client.Gauge({
      name: 'idlegrid_credit_granted',
      help: 'Credit granted by all coordinators since the store began, in cobblestones',
      registers: [registry],
      async collect() {
        this.set(Number((await redis.hget(keys.key('stats'), 'credit')) ?? 0));
      },
    });
  }

  dispatched(units: number, seconds: number): void {
    this.leasedTotal.inc(units);
    this.dispatchLatency.observe(seconds);
  }

  results(items: Array<{ status: 'accepted' | 'rejected' }>): void {
    for (const i of items) this.resultsTotal.inc({ outcome: i.status });
  }
}
