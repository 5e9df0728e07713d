/** Everything a request handler or a connection needs, built once per coordinator by buildApp. */
import type { Logger } from 'pino';
import type { AccountStore } from './accounts.js';
import type { Assembler } from './assembler.js';
import type { Dispatcher } from './dispatch.js';
import type { EventBus } from './events.js';
import type { InputStore } from './inputs/input-store.js';
import type { JobLifecycle } from './job-lifecycle.js';
import type { JobStore } from './job-store.js';
import type { Metrics } from './metrics.js';
import type { CoordinatorOptions } from './options.js';
import type { HostRegistry } from './registry.js';
import type { Keys } from './store/keys.js';
import type { StoreRedis } from './store/scripts.js';
import type { Validator } from './validator.js';

export interface Services {
  options: CoordinatorOptions;
  redis: StoreRedis;
  keys: Keys;
  jobs: JobStore;
  accounts: AccountStore;
  inputs: InputStore;
  dispatcher: Dispatcher;
  validator: Validator;
  assembler: Assembler;
  lifecycle: JobLifecycle;
  bus: EventBus;
  registry: HostRegistry;
  metrics: Metrics;
  /** Latest progress per lease reported by hosts connected here (for the dashboard); bounded by leases. */
  progress: Map<string, { fraction: number; opsPerS: number }>;
  log: Logger;
}
