/**
 * Liveness and readiness: /livez (the process answers), /readyz and /healthz (Redis answers too: a load
 * balancer stops sending traffic to a coordinator that cannot reach its store), and /metrics.
 */
import type { FastifyInstance } from 'fastify';
import { SOFTWARE, type Health } from '../../protocol/index.js';
import type { Services } from '../services.js';

export function healthRoutes(app: FastifyInstance, svc: Services): void {
  const redisUp = async (): Promise<boolean> => {
    // While ioredis is reconnecting a PING would only wait in its offline queue: answer at once.
    if (svc.redis.status !== 'ready') return false;
    try {
      return (await Promise.race([svc.redis.ping(), new Promise((r) => setTimeout(() => r('timeout'), 1_000))])) === 'PONG';
    } catch {
      return false;
    }
  };
  const health = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    const redis = await redisUp();
    const body: Health = { ok: redis, redis, coordinatorId: svc.options.coordinatorId, version: SOFTWARE };
    return reply.code(redis ? 200 : 503).send(body);
  };
  app.get('/livez', async () => ({ ok: true }));
  app.get('/readyz', health);
  app.get('/healthz', health);
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', svc.metrics.contentType);
    return svc.metrics.scrape();
  });
}
