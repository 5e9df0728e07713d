/**
 * A real TCP pipe to a server that can freeze the connections open through it: their bytes stop
 * flowing both ways while the sockets stay open, as with a machine that died without closing them (a
 * Redis master killed mid-failover, seen from its clients). Connections opened after a freeze pass.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface FreezeProxy {
  port: number;
  /** Freezes every connection open now. */
  freeze(): void;
  close(): Promise<void>;
}

export async function startFreezeProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FreezeProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket; frozen: boolean }>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    const pair = { client, upstream, frozen: false };
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
    client.on('data', (b) => pair.frozen || upstream.write(b));
    upstream.on('data', (b) => pair.frozen || client.write(b));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze() {
      for (const p of pairs) p.frozen = true;
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
