/** /api/accounts: a volunteer gets an account key to attach workers with (no token needed). */
import type { FastifyInstance } from 'fastify';
import { CreateAccount, IdlegridError, describeIssues } from '../../protocol/index.js';
import type { Services } from '../services.js';

/** Anyone may sign up as a volunteer, so sign-ups from one address are rationed (spam, key-store growth). */
export const ACCOUNTS_PER_IP_PER_HOUR = 100;

export function accountRoutes(app: FastifyInstance, svc: Services): void {
  app.post('/api/accounts', { config: { rateLimit: { max: ACCOUNTS_PER_IP_PER_HOUR, timeWindow: 3_600_000 } } }, async (req, reply) => {
    const body = CreateAccount.safeParse(req.body ?? {});
    if (!body.success) throw new IdlegridError('BAD_REQUEST', describeIssues(body.error));
    return reply.code(201).send(await svc.accounts.create(body.data.name, body.data.team));
  });
}
