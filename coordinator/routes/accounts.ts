/** /api/accounts: a volunteer gets an account key to attach workers with. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { IdlegridError, describeIssues } from '../../protocol/index.js';
import type { Services } from '../services.js';

const CreateAccount = z.object({
  name: z.string().min(1).max(64),
  team: z.string().min(1).max(64).optional(),
});

export function accountRoutes(app: FastifyInstance, svc: Services): void {
  app.post('/api/accounts', async (req, reply) => {
    const body = CreateAccount.safeParse(req.body ?? {});
    if (!body.success) throw new IdlegridError('BAD_REQUEST', describeIssues(body.error));
    return reply.code(201).send(await svc.accounts.create(body.data.name, body.data.team));
  });
}
