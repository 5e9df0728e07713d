/** /api/jobs: submit, list, read and cancel jobs. */
import type { FastifyInstance } from 'fastify';
import { IdlegridError, JobId } from '../../protocol/index.js';
import type { Services } from '../services.js';

export function jobRoutes(app: FastifyInstance, svc: Services): void {
  const jobId = (raw: unknown): string => {
    const ok = JobId.safeParse(raw);
    if (!ok.success) throw new IdlegridError('NOT_FOUND', `no job "${String(raw).slice(0, 40)}"`);
    return ok.data;
  };

  app.post('/api/jobs', async (req, reply) => {
    const doc = await svc.jobs.submit(req.body, null);
    svc.log.info({ jobId: doc.id, kind: doc.kind, units: doc.progress.unitsTotal }, 'job submitted');
    return reply.code(201).send(doc);
  });

  app.get('/api/jobs', async (req) => {
    const limit = Math.min(Math.max(Number((req.query as { limit?: string }).limit ?? 100) || 100, 1), 1000);
    return { jobs: await svc.jobs.list(limit) };
  });

  app.get('/api/jobs/:id', async (req) => {
    const doc = await svc.jobs.get(jobId((req.params as { id: string }).id));
    if (!doc) throw new IdlegridError('NOT_FOUND', `no job "${(req.params as { id: string }).id}"`);
    return doc;
  });

  app.delete('/api/jobs/:id', async (req) => {
    const id = jobId((req.params as { id: string }).id);
    const doc = await svc.jobs.get(id);
    if (!doc) throw new IdlegridError('NOT_FOUND', `no job "${id}"`);
    const out = await svc.redis.ig_closeJob(svc.keys.prefix, id, 'cancelled', Date.now(), '', '');
    if (out === 'already') throw new IdlegridError('CONFLICT', `job ${id} has already ended (${doc.state})`);
    const flat = out as string[];
    const leases: Array<[string, string]> = [];
    for (let i = 0; i < flat.length; i += 2) leases.push([flat[i], flat[i + 1]]);
    await svc.bus.publish({ type: 'cancel', leases, reason: `job ${id} was cancelled` });
    await svc.bus.publish({ type: 'job', id, state: 'cancelled' });
    svc.log.info({ jobId: id, withdrawn: leases.length }, 'job cancelled');
    return (await svc.jobs.get(id))!;
  });
}
