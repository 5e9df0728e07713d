/** /api/tokens: the admin makes and revokes owner tokens (the right to submit jobs and upload data). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CreateToken, IdlegridError, describeIssues } from '../../protocol/index.js';
import { requireRole, type TokenStore } from '../auth.js';
import type { Services } from '../services.js';

const TokenParams = z.object({ id: z.string().regex(/^[a-z0-9]{6,32}$/, 'token id: 6-32 lowercase letters or digits') });

export function tokenRoutes(app: FastifyInstance, svc: Services, tokens: TokenStore): void {
  app.post('/api/tokens', { config: { rateLimit: { max: 60, timeWindow: 60_000 } } }, async (req, reply) => {
    requireRole(req, 'admin', 'making an owner token');
    const body = CreateToken.safeParse(req.body ?? {});
    if (!body.success) throw new IdlegridError('BAD_REQUEST', describeIssues(body.error));
    const made = await tokens.createOwner(body.data.name);
    svc.log.info({ ownerId: made.id, name: made.name }, 'owner token created');
    return reply.code(201).send(made);
  });

  app.delete('/api/tokens/:id', async (req) => {
    requireRole(req, 'admin', 'revoking an owner token');
    const params = TokenParams.safeParse(req.params);
    if (!params.success) throw new IdlegridError('NOT_FOUND', describeIssues(params.error));
    if (!(await tokens.revokeOwner(params.data.id))) throw new IdlegridError('NOT_FOUND', `no owner token with id ${params.data.id}`);
    svc.log.info({ ownerId: params.data.id }, 'owner token revoked');
    return { id: params.data.id, revoked: true };
  });
}
