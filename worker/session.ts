/**
 * The worker's session with its coordinator, across reconnects: the link (link.ts), what is delivered
 * through the outbox (delivery.ts), the requests for work (work-requests.ts), acknowledgements and
 * credit. It tells the worker what the coordinator gives (units held from before, new units,
 * cancellations) and keeps what the state line needs: whether the coordinator is reachable, and why
 * no work comes. An outage is warned once, not per retry: again only when its cause changes, at most
 * every few minutes.
 */
import { EventEmitter } from 'node:events';
import type { CoordinatorMessage, WorkUnit, WorkerMessage } from '../protocol/index.js';
import type { CreditLog } from './credit.js';
import { Delivery } from './delivery.js';
import { helloMessage } from './hello.js';
import type { HostIdentity } from './identity.js';
import { Link } from './link.js';
import type { WorkerOptions } from './options.js';
import { Outbox, type Pending } from './outbox.js';
import type { BufferState } from './work-buffer.js';
import { WorkRequests } from './work-requests.js';

/** While an outage lasts, a changed cause is told at most this often. */
const REMIND_MS = 5 * 60_000;

type AckItem = Extract<CoordinatorMessage, { type: 'ack' }>['items'][number];

export interface SessionEvents {
  /** Welcomed: with the units this host already holds. */
  welcome: [leases: WorkUnit[]];
  work: [units: WorkUnit[]];
  cancel: [leaseIds: string[], reason: string];
  /** Something the state line shows has changed (reachability, why no work comes, the outbox). */
  changed: [];
  refused: [error: { code: string; message: string }];
  accepted: [leaseId: string];
  rejected: [leaseId: string, code: string, message: string];
  log: [level: 'info' | 'warn', msg: string, extra?: Record<string, unknown>];
}

export class Session extends EventEmitter<SessionEvents> {
  private readonly link: Link;
  private readonly delivery: Delivery;
  private readonly requests: WorkRequests;
  /** Why the coordinator cannot be reached (with the retry countdown), or why it refused us; null while connected. */
  down: string | null = 'connecting';
  /** The cause last warned about in this outage, and when; null while connected. */
  private told: { reason: string; at: number } | null = null;

  constructor(
    private readonly opts: WorkerOptions,
    identity: HostIdentity,
    bench: Record<string, number>,
    private readonly credit: CreditLog,
    /** The worker: whether it has units in hand, and how it asks for more when told to ask again. */
    private readonly worker: { busy(): boolean; fill(): void },
  ) {
    super();
    const wsUrl = opts.coordinator.replace(/^http/, 'ws').replace(/\/$/, '') + '/ws';
    this.link = new Link(wsUrl, () => helloMessage(identity, opts, bench));
    this.delivery = new Delivery(new Outbox(opts.configDir), this.link);
    this.requests = new WorkRequests((m) => this.link.send(m), () => worker.fill());
    this.link.on('message', (m) => this.onMessage(m));
    this.link.on('up', () => this.onUp());
    this.link.on('down', (reason, wait) => this.onDown(reason, wait));
    this.link.on('refused', (error) => {
      this.down = `refused by the coordinator (${error.code}: ${error.message})`;
      this.emit('refused', error);
      this.emit('changed');
    });
  }

  start(): void {
    this.link.start();
  }

  async stop(reason: string): Promise<void> {
    this.requests.stop();
    await this.link.stop(reason);
  }

  get connected(): boolean {
    return this.link.connected;
  }

  /** Why the last request got no units, in the worker's words; null when it got some. */
  get noWork(): string | null {
    return this.requests.why;
  }

  /** Results and failure reports not yet acknowledged. */
  get waiting(): number {
    return this.delivery.waiting;
  }

  /** The worker's state line, carried by every heartbeat to the dashboard. */
  set state(s: string) {
    this.link.state = s;
  }

  send(msg: WorkerMessage): boolean {
    return this.link.send(msg);
  }

  /** Ask for what the buffer lacks (only while connected; the next welcome asks again). */
  fill(state: BufferState): void {
    if (this.link.connected) this.requests.fill(state);
  }

  deliver(p: Pending): void {
    this.delivery.add(p);
  }

  /** Hand units back unfinished, so other hosts can take them now. */
  release(leaseIds: string[], reason: string): void {
    for (let i = 0; i < leaseIds.length; i += 64) this.link.send({ type: 'release', leaseIds: leaseIds.slice(i, i + 64), reason });
  }

  private onUp(): void {
    this.down = null;
    if (this.told) this.emit('log', 'info', `connected to the coordinator at ${this.opts.coordinator} again`);
    this.told = null;
    const { results, failures } = this.delivery.resend();
    const kept = [results ? `${results} result(s)` : '', failures ? `${failures} failure report(s)` : ''].filter(Boolean).join(' and ');
    if (kept) this.emit('log', 'info', `delivering ${kept} kept while the coordinator was unreachable`, { results, failures });
    this.emit('changed');
  }

  private onDown(reason: string, wait: number): void {
    this.requests.reset();
    this.down = `coordinator down (${reason}); retry in ${Math.round(wait / 1000)} s`;
    // Warned when an outage starts; while it lasts, again only when its cause has changed and a while has
    // passed (a refused connection and a reset one alternate from one try to the next).
    const now = Date.now();
    if (!this.told || (reason !== this.told.reason && now - this.told.at >= REMIND_MS)) {
      this.told = { reason, at: now };
      this.emit('log', 'warn', `coordinator ${this.opts.coordinator} unreachable (${reason}); computing what is in hand and trying again with backoff`, { reason });
    }
    this.emit('changed');
  }

  private onMessage(msg: CoordinatorMessage): void {
    switch (msg.type) {
      case 'welcome': {
        // Units finished or failed and waiting in the outbox are not to be computed again.
        const done = this.delivery.finished();
        this.emit('welcome', msg.leases.filter((u) => !done.has(u.leaseId)));
        return;
      }
      case 'work':
        this.requests.got();
        this.emit('work', msg.units);
        return;
      case 'no_work':
        // A full quota while units are in hand is the buffer working as meant, not news.
        this.requests.none(msg, msg.reason === 'quota' && this.worker.busy());
        this.emit('changed');
        return;
      case 'ack':
        for (const { ack, sent } of this.delivery.acknowledged(msg.items)) this.acknowledged(ack, sent);
        this.emit('changed');
        return;
      case 'credit':
        this.credit.grant(msg.leaseId, msg.credit, msg.valid);
        return;
      case 'cancel':
        this.emit('cancel', msg.leaseIds, msg.reason);
        return;
      case 'error':
        this.requests.lost();
        this.emit('log', 'warn', `coordinator: ${msg.code}: ${msg.message}`);
        return;
      default:
        return;
    }
  }

  private acknowledged(ack: AckItem, sent: Pending | undefined): void {
    // Not in the outbox: a second copy (sent by a reconnect while the first was on its way) whose
    // first acknowledgement already settled it.
    if (!sent) return;
    if (sent.type === 'failure') {
      // DUPLICATE_RESULT: an earlier send arrived and only its acknowledgement was lost.
      if (ack.status === 'rejected' && ack.error?.code !== 'DUPLICATE_RESULT') this.emit('log', 'warn', `the coordinator did not take the failure report of ${ack.leaseId}: ${ack.error?.code ?? 'REJECTED'}: ${ack.error?.message ?? ''}`, { leaseId: ack.leaseId });
    } else if (ack.status === 'accepted') {
      this.credit.claim(ack.leaseId, sent.ops);
      this.emit('accepted', ack.leaseId);
    } else this.emit('rejected', ack.leaseId, ack.error?.code ?? 'REJECTED', ack.error?.message ?? '');
  }
}
