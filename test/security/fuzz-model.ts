/**
 * The protocol fuzzer's generator and oracle. A scenario is the list of frames one hostile connection
 * sends; the oracle says, frame by frame, which answer the coordinator owes: a coded error, a normal
 * reply, nothing (a well-formed message that needs none), or a close. Scenario i of seed s is
 * `fc.sample(scenario(ctx), { seed: s + i, numRuns: 1 })`, so any failure reruns from (seed, index).
 */
import keysearch from '../../workunits/keysearch/kind.js';
import fc from 'fast-check';
import { HostId, MAX_FRAME_BYTES, PROTOCOL_VERSION, SOFTWARE, WorkerMessage } from '../../protocol/index.js';

export const FRAMES_PER_SCENARIO = 50;

/** Frames are descriptions; big payloads are made only when sent, so a scenario stays small in memory. */
export type Frame =
  | { t: 'text'; data: string }
  | { t: 'binary'; data: Uint8Array }
  | { t: 'json'; value: unknown }
  | { t: 'truncated'; value: unknown; keep: number }
  | { t: 'badutf8'; prefix: string }
  | { t: 'oversized'; bytes: number }
  | { t: 'huge' };

export interface Context {
  /** This scenario's own host id and secret (unique, so scenarios never collide). */
  hostId: string;
  hostSecret: string;
  /** A host id registered with another secret (hello with it must fail HOST_AUTH). */
  takenHostId: string;
  /** Leases that are live but held by another host. */
  foreignLeases: string[];
}

export type Expect =
  | { reply: 'error'; code: string }
  | { reply: 'welcome' | 'ack' | 'heartbeat_ack' | 'work' }
  | { close: number[] };

const hello = (ctx: Context, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'hello', protocol: PROTOCOL_VERSION, hostId: ctx.hostId, hostSecret: ctx.hostSecret, software: SOFTWARE,
  facts: { cores: 2, memoryBytes: 1 << 30, platform: 'linux', arch: 'x64' }, threads: 1, kinds: [{ name: 'keysearch', version: keysearch.version }], ...extra,
});

const bogusLease = fc.tuple(fc.stringMatching(/^[a-z0-9]{6,12}$/), fc.nat(99999), fc.nat(9)).map(([j, u, r]) => `${j}.${u}.${r}`);

function templates(ctx: Context): fc.Arbitrary<Record<string, unknown>> {
  const lease = fc.oneof(bogusLease, fc.constantFrom(...ctx.foreignLeases));
  const leases = fc.array(lease, { minLength: 1, maxLength: 8 });
  const keyResult = fc.record({ found: fc.constant([]), keys: fc.nat(), digest: fc.stringMatching(/^[0-9a-f]{16}$/) });
  return fc.oneof(
    fc.constant(hello(ctx)),
    fc.integer().filter((p) => p !== PROTOCOL_VERSION).map((protocol) => hello(ctx, { protocol })),
    fc.constant(hello(ctx, { hostId: ctx.takenHostId })),
    fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/).map((account) => hello(ctx, { account })),
    fc.integer({ min: 1, max: 64 }).map((count) => ({ type: 'request', count })),
    fc.array(fc.record({ leaseId: lease, result: fc.oneof(keyResult, fc.jsonValue()), cpuS: fc.nat(100), elapsedS: fc.nat(100) }), { minLength: 1, maxLength: 8 })
      .map((items) => ({ type: 'results', items })),
    fc.array(fc.record({ leaseId: lease, code: fc.constant('UNIT_ERROR'), message: fc.string() }), { minLength: 1, maxLength: 4 })
      .map((items) => ({ type: 'failures', items })),
    fc.array(fc.record({ leaseId: lease, fraction: fc.double({ min: 0, max: 1, noNaN: true }), opsPerS: fc.nat() }), { minLength: 1, maxLength: 8 })
      .map((items) => ({ type: 'progress', items })),
    leases.map((leaseIds) => ({ type: 'release', leaseIds, reason: 'fuzz' })),
    fc.record({ seq: fc.nat(), sentAt: fc.nat() }).map((h) => ({ type: 'heartbeat', ...h })),
    fc.constant({ type: 'bye', reason: 'fuzz' }),
  );
}

/**
 * A template, or a template with one field deleted, replaced by any JSON value, or its type changed. A
 * hello that came out naming some other valid host id is pointed back at this scenario's: generated ids
 * repeat across scenarios, and two scenarios racing to register one id would make the oracle guess.
 */
function mutated(ctx: Context): fc.Arbitrary<unknown> {
  return templates(ctx).chain((m) => {
    const keys = Object.keys(m);
    return fc.oneof(
      { weight: 3, arbitrary: fc.constant(m) },
      { weight: 2, arbitrary: fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(m).filter(([x]) => x !== k))) },
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ ...m, [k]: v })) },
      { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((type) => ({ ...m, type })) },
    ).map((v) => ownHello(v, ctx));
  });
}

function ownHello(v: Record<string, unknown>, ctx: Context): Record<string, unknown> {
  if (v.type !== 'hello' || v.hostId === ctx.takenHostId || !HostId.safeParse(v.hostId).success) return v;
  return { ...v, hostId: ctx.hostId };
}

export function frame(ctx: Context): fc.Arbitrary<Frame> {
  return fc.oneof(
    { weight: 120, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }).map((data) => ({ t: 'text' as const, data })) },
    { weight: 40, arbitrary: fc.uint8Array({ maxLength: 200 }).map((data) => ({ t: 'binary' as const, data })) },
    { weight: 120, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => ({ t: 'json' as const, value })) },
    { weight: 600, arbitrary: mutated(ctx).map((value) => ({ t: 'json' as const, value })) },
    { weight: 100, arbitrary: fc.tuple(mutated(ctx), fc.double({ min: 0, max: 1, noNaN: true })).map(([value, f]) => ({ t: 'truncated' as const, value, keep: f })) },
    { weight: 2, arbitrary: fc.string({ maxLength: 20 }).map((prefix) => ({ t: 'badutf8' as const, prefix })) },
    { weight: 1, arbitrary: fc.integer({ min: MAX_FRAME_BYTES + 1, max: MAX_FRAME_BYTES + (64 << 10) }).map((bytes) => ({ t: 'oversized' as const, bytes })) },
    { weight: 1, arbitrary: fc.constant({ t: 'huge' as const }) },
  );
}

export function scenario(ctx: Context): fc.Arbitrary<Frame[]> {
  // Most connections say hello somewhere, so that what follows is checked after hello as well as before.
  return fc.tuple(fc.array(frame(ctx), { minLength: FRAMES_PER_SCENARIO, maxLength: FRAMES_PER_SCENARIO }), fc.option(fc.nat(FRAMES_PER_SCENARIO - 1), { freq: 5 }))
    .map(([frames, at]) => {
      if (at !== null) frames[at] = { t: 'json', value: hello(ctx) };
      return frames;
    });
}


/** The bytes of a frame as sent, and whether it goes as a binary frame. */
export function materialize(f: Frame): { data: string | Buffer; binary: boolean } {
  switch (f.t) {
    case 'text': return { data: f.data, binary: false };
    case 'binary': return { data: Buffer.from(f.data), binary: true };
    case 'json': return { data: JSON.stringify(f.value) ?? 'null', binary: false };
    case 'truncated': {
      const s = JSON.stringify(f.value) ?? 'null';
      return { data: s.slice(0, Math.floor(f.keep * (s.length - 1))), binary: false };
    }
    case 'badutf8': return { data: Buffer.concat([Buffer.from(f.prefix), Buffer.from([0xc3, 0x28, 0xff])]), binary: false };
    case 'oversized': return { data: `{"type":"bye","reason":"${'x'.repeat(f.bytes)}"}`, binary: false };
    case 'huge': return { data: 'x'.repeat(4 * MAX_FRAME_BYTES + 1), binary: false };
  }
}

/**
 * What the coordinator owes for each frame, in order, until its first close. A frame with no entry
 * (progress or release that parses) needs no answer. An ordered close (bye, a refused hello) comes after
 * every earlier answer. A transport close (bad UTF-8, a frame past the transport cap) is decided by the
 * socket layer as the bytes arrive, so it may overtake answers still being worked on, even those of
 * frames sent before it, and may come before an ordered close of an earlier frame.
 */
export interface Owed {
  replies: Reply[];
  orderedClose: number | null;
  transportClose: number | null;
}
export type Reply = Exclude<Expect, { close: number[] }>;

/** zod 4 throws on some hostile values instead of failing: either way the message does not parse. */
function safeParse(value: unknown): ReturnType<typeof WorkerMessage.safeParse> | { success: false } {
  try {
    return WorkerMessage.safeParse(value);
  } catch {
    return { success: false };
  }
}

export function oracle(frames: Frame[], ctx: Context): Owed {
  const firstTransport = frames.find((f) => f.t === 'badutf8' || f.t === 'huge');
  const transportClose = firstTransport ? (firstTransport.t === 'huge' ? 1009 : 1007) : null;
  let ready = false;
  const replies: Reply[] = [];
  const owed = (orderedClose: number | null): Owed => ({ replies, orderedClose, transportClose });
  for (const f of frames) {
    if (f === firstTransport) return owed(null);
    if (f.t === 'binary') { replies.push({ reply: 'error', code: 'NOT_JSON' }); continue; }
    if (f.t === 'oversized') { replies.push({ reply: 'error', code: 'FRAME_TOO_LARGE' }); continue; }
    const { data } = materialize(f);
    let value: unknown;
    try {
      // What the coordinator sees: the UTF-8 encoding of the string (lone surrogates become U+FFFD).
      value = JSON.parse(Buffer.from(data as string, 'utf8').toString('utf8'));
    } catch {
      replies.push({ reply: 'error', code: 'NOT_JSON' });
      continue;
    }
    const parsed = safeParse(value);
    if (!parsed.success) { replies.push({ reply: 'error', code: 'BAD_MESSAGE' }); continue; }
    const m = parsed.data;
    if (m.type === 'hello') {
      if (ready) { replies.push({ reply: 'error', code: 'OUT_OF_ORDER' }); continue; }
      const refused = (code: string, close: number) => (replies.push({ reply: 'error', code }), owed(close));
      if (m.protocol !== PROTOCOL_VERSION) return refused('PROTOCOL_VERSION', 4002);
      if (m.hostId !== ctx.hostId) return refused('HOST_AUTH', 4003);
      if (m.account) return refused('UNAUTHORIZED', 4003);
      ready = true;
      replies.push({ reply: 'welcome' });
      continue;
    }
    if (!ready) { replies.push({ reply: 'error', code: 'OUT_OF_ORDER' }); continue; }
    if (m.type === 'request') replies.push({ reply: 'work' });
    else if (m.type === 'results' || m.type === 'failures') replies.push({ reply: 'ack' });
    else if (m.type === 'heartbeat') replies.push({ reply: 'heartbeat_ack' });
    else if (m.type === 'bye') return owed(1000);
  }
  return owed(null);
}
