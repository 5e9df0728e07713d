/** The worker's hello: who this host is, what it runs and how fast, and whose account it earns for. */
import { PROTOCOL_VERSION, SOFTWARE, type WorkerMessage } from '../protocol/index.js';
import { KINDS } from '../workunits/index.js';
import { hostFacts } from './facts.js';
import type { HostIdentity } from './identity.js';
import type { WorkerOptions } from './options.js';

export function helloMessage(identity: HostIdentity, opts: WorkerOptions, bench: Record<string, number>): WorkerMessage {
  return {
    type: 'hello',
    protocol: PROTOCOL_VERSION,
    hostId: identity.hostId,
    hostSecret: identity.hostSecret,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.account ? { account: opts.account } : {}),
    software: SOFTWARE,
    facts: hostFacts(),
    threads: opts.threads,
    kinds: Object.values(KINDS).map((k) => ({ name: k.name, version: k.version })),
    ...(Object.keys(bench).length ? { bench } : {}),
  };
}
