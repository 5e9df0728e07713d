/** Everything a request handler or a connection needs, built once per coordinator by buildApp. */
import type { Logger } from 'pino';
import type { AccountStore } from './accounts.js';
import type { Assembler } from './assembler.js';
import type { CreditLedger } from './credit-ledger.js';
import type { Dispatcher } from './dispatch.js';
import type { EventBus } from './events.js';
import type { InputStore } from './inputs/input-store.js';
import type { JobLifecycle } from './job-lifecycle.js';
import type { JobStore } from './job-store.js';
import type { Metrics } from './metrics.js';
import type { CoordinatorOptions } from './options.js';
import type { HostPresence } from './presence.js';
import type { HostRegistry } from './registry.js';
import type { ReportQueue } from './report-queue.js';
import type { Keys } from './store/keys.js';
import type { ReplicaAck } from './store/replica-ack.js';
import type { StoreRedis } from './store/scripts.js';
import type { ValidationQueue } from './validation-queue.js';
import type { Validator } from './validator.js';
import type { Verifier } from './verifier.js';

export interface Services {
  options: CoordinatorOptions;
  redis: StoreRedis;
  keys: Keys;
  jobs: JobStore;
  accounts: AccountStore;
  inputs: InputStore;
  dispatcher: Dispatcher;
  validator: Validator;
  /** Hosts' reports, several hosts' to a report.lua call (report-queue.ts). */
  reports: ReportQueue;
  /** Units whose results are ready to compare, validated apart from the connection that reported them. */
  validation: ValidationQueue;
  /** Adds the credit validations granted to the totals, a batch at a time (credit-ledger.ts). */
  credit: CreditLedger;
  verifier: Verifier;
  assembler: Assembler;
  lifecycle: JobLifecycle;
  bus: EventBus;
  registry: HostRegistry;
  /** Hosts' signs of life in Redis: silent and departed hosts' units go to others (presence.ts). */
  presence: HostPresence;
  metrics: Metrics;
  /** Waits for replicas before a job, an upload or credit is acknowledged (--redis-wait-replicas). */
  ack: ReplicaAck;
  /** Latest progress per lease reported by hosts connected here (for the dashboard); bounded by leases. */
  progress: Map<string, { fraction: number; opsPerS: number }>;
  log: Logger;
}
