/**
 * /api/jobs: submit, list, read and cancel jobs. Submitting needs an owner token and records the owner;
 * a job's name, parameters and result go only to its owner, the admin, or anyone when it is public.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { IdlegridError, JobId, describeIssues, type JobDoc } from '../../protocol/index.js';
import { REDACTED_HEADER, canChangeJob, canReadJob, requireRole, viewJob } from '../auth.js';
import type { Services } from '../services.js';

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
const JobParams = z.object({ id: JobId });

export function jobRoutes(app: FastifyInstance, svc: Services): void {
  const load = async (req: FastifyRequest): Promise<JobDoc> => {
    const params = JobParams.safeParse(req.params);
    const raw = String((req.params as { id?: unknown }).id).slice(0, 40);
    if (!params.success) throw new IdlegridError('NOT_FOUND', `no job "${raw}" (${describeIssues(params.error)})`);
    const doc = await svc.jobs.get(params.data.id);
    if (!doc) throw new IdlegridError('NOT_FOUND', `no job "${raw}"`);
    return doc;
  };

  app.post('/api/jobs', async (req, reply) => {
    const owner = requireRole(req, 'owner', 'submitting a job');
    const doc = await svc.jobs.submit(req.body, owner.id);
    svc.log.info({ jobId: doc.id, kind: doc.kind, units: doc.progress.unitsTotal, owner: owner.id }, 'job submitted');
    return reply.code(201).send(doc);
  });

  app.get('/api/jobs', async (req) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success) throw new IdlegridError('BAD_REQUEST', describeIssues(q.error));
    return { jobs: (await svc.jobs.list(q.data.limit)).map((d) => viewJob(req.principal, d)) };
  });

  app.get('/api/jobs/:id', async (req, reply) => {
    const doc = await load(req);
    if (!canReadJob(req.principal, doc)) reply.header(REDACTED_HEADER, '1');
    return viewJob(req.principal, doc);
  });

  app.delete('/api/jobs/:id', async (req) => {
    requireRole(req, 'owner', 'cancelling a job');
    const doc = await load(req);
    if (!canChangeJob(req.principal, doc)) throw new IdlegridError('FORBIDDEN', `job ${doc.id} belongs to another owner; only its owner or the admin may cancel it`);
    const { closed } = await svc.lifecycle.close(doc.id, { state: 'cancelled', by: req.principal.id ?? 'admin' });
    if (!closed) throw new IdlegridError('CONFLICT', `job ${doc.id} has already ended (${doc.state})`);
    return (await svc.jobs.get(doc.id))!;
  });
}
