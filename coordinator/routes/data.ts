/** /api/data: streamed, content-addressed uploads of recordings, and byte ranges of them for workers. */
import type { FastifyInstance } from 'fastify';
import { IdlegridError } from '../../protocol/index.js';
import type { Services } from '../services.js';

/** Uploads larger than this are refused while streaming, before they fill the disk. */
export const MAX_UPLOAD_BYTES = 64 * 2 ** 30;

export function dataRoutes(app: FastifyInstance, svc: Services): void {
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.post('/api/data', async (req, reply) => {
    if (req.headers['content-type'] !== 'application/octet-stream') {
      throw new IdlegridError('BAD_REQUEST', 'upload the raw bytes with content-type application/octet-stream');
    }
    const stored = await svc.inputs.put(req.body as NodeJS.ReadableStream as import('node:stream').Readable, MAX_UPLOAD_BYTES);
    svc.log.info(stored, 'input stored');
    return reply.code(201).send(stored);
  });

  app.get('/api/data/:sha', async (req, reply) => {
    const { sha } = req.params as { sha: string };
    const q = req.query as { offset?: string; length?: string };
    const size = await svc.inputs.size(sha);
    if (size === null) throw new IdlegridError('NOT_FOUND', `no input ${sha.slice(0, 64)}`);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    const length = q.length === undefined ? size - offset : Number(q.length);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0 || offset + length > size) {
      throw new IdlegridError('BAD_REQUEST', `range ${q.offset}+${q.length} is outside the ${size}-byte input`);
    }
    reply.header('content-type', 'application/octet-stream').header('content-length', length);
    return reply.send(svc.inputs.read(sha, offset, length));
  });
}
