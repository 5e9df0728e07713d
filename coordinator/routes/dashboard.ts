/**
 * The dashboard: its page and assets at / (built by dashboard/build.mjs, served by @fastify/static) and
 * the read-only data it shows: /api/stats, /api/history, /api/hosts, /api/hosts/:id, /api/leaderboard,
 * and /api/events (server-sent snapshots). Shapes are in protocol/dashboard.ts.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { HistoryQuery, HostId, HostsQuery, IdlegridError, LeaderboardQuery, describeIssues, wireError } from '../../protocol/index.js';
import { webBuilt, webRoot } from '../views/assets.js';
import { DashboardFeed } from '../views/feed.js';
import { historyPoints } from '../views/history-view.js';
import { hostDetail, hostList } from '../views/hosts-view.js';
import { LeaderboardReader } from '../views/leaderboard.js';
import { gridStats, snapshot } from '../views/snapshot.js';
import { GridReader } from '../history.js';
import type { Services } from '../services.js';

function query<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const q = schema.safeParse(raw ?? {});
  if (!q.success) throw new IdlegridError('BAD_REQUEST', describeIssues(q.error));
  return q.data;
}

export async function dashboardRoutes(app: FastifyInstance, svc: Services): Promise<void> {
  const { redis, keys } = svc;
  const grid = new GridReader(redis, keys);
  const leaderboard = new LeaderboardReader(redis, keys);
  const feed = new DashboardFeed(
    () => snapshot(redis, keys, svc.jobs, grid),
    (err) => svc.log.warn({ err: err.message }, 'dashboard snapshot failed; the next one will retry'),
  );
  svc.bus.on('event', (e) => {
    if (e.type === 'job') feed.nudge();
  });
  // Event streams never end by themselves: close them first, or closing the server would wait forever.
  app.addHook('preClose', async () => feed.close());

  app.get('/api/stats', async () => gridStats(await grid.read()));
  app.get('/api/history', async (req) => historyPoints(redis, keys, query(HistoryQuery, req.query).range));
  app.get('/api/hosts', async (req) => hostList(redis, keys, query(HostsQuery, req.query).limit));
  app.get('/api/hosts/:id', async (req) => {
    const raw = (req.params as { id: string }).id;
    const host = HostId.safeParse(raw).success ? await hostDetail(redis, keys, raw) : null;
    if (!host) throw new IdlegridError('NOT_FOUND', `no host "${raw.slice(0, 64)}"`);
    return host;
  });
  app.get('/api/leaderboard', async (req) => {
    const q = query(LeaderboardQuery, req.query);
    return leaderboard.read(q.by, q.limit);
  });
  app.get('/api/events', (_req, reply) => {
    reply.hijack();
    if (!feed.add(reply.raw)) {
      reply.raw.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': '30' });
      reply.raw.end(JSON.stringify({ error: wireError('RATE_LIMITED', 'this coordinator serves as many dashboard streams as it may; try another or later') }));
    }
  });

  if (webBuilt()) {
    // Files are listed once at start (wildcard off), so unknown paths still get the API's coded 404.
    await app.register(fastifyStatic, { root: webRoot(), prefix: '/', wildcard: false, index: 'index.html' });
  } else {
    app.get('/', async () => {
      throw new IdlegridError('NOT_FOUND', 'the dashboard is not built: run `npm run build` (dashboard/build.mjs)');
    });
  }
}
