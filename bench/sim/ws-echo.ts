/**
 * The reference for the connections benchmark: the least a WebSocket server can do for a host, a bare
 * `ws` server (the library under fastify-websocket) that parses each JSON frame and answers hello with
 * welcome and heartbeat with heartbeat_ack, with no schema checks, no store and no framework. Its memory
 * per connection and heartbeat round trip are the floor the coordinator is measured against.
 * Prints `port=<n>` on stdout once listening.
 */
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws', perMessageDeflate: false, maxPayload: 4 << 20 });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    let m: { type?: string; hostId?: string; seq?: number; sentAt?: number };
    try {
      m = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (m.type === 'hello') {
      ws.send(JSON.stringify({ type: 'welcome', protocol: 1, coordinatorId: 'ws-echo', hostId: m.hostId, serverTime: Date.now(), heartbeatMs: 15_000, maxBatch: 64, leases: [] }));
    } else if (m.type === 'heartbeat') {
      ws.send(JSON.stringify({ type: 'heartbeat_ack', seq: m.seq, sentAt: m.sentAt, serverTime: Date.now() }));
    }
  });
  ws.on('error', () => {});
});
wss.on('listening', () => {
  const addr = wss.address();
  if (typeof addr === 'object' && addr) process.stdout.write(`port=${addr.port}\n`);
});
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
