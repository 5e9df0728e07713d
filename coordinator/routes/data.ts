/**
 * /api/data: streamed, content-addressed uploads of recordings (owner token), and byte ranges of them for
 * workers. A range is served only to a host that proves its id (x-idlegrid-host + x-idlegrid-secret) and
 * holds a live lease on a unit whose input is exactly that range; the admin may read any range.
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { HostId, IdlegridError, LeaseId, Sha256, describeIssues, parseLeaseId } from '../../protocol/index.js';
import { requireRole } from '../auth.js';
import type { Services } from '../services.js';
import { matchesHash } from '../secret-hash.js';
import { REPLICA_STATE, replicaField, sliceField } from '../store/unit-layout.js';

/** Uploads larger than this are refused while streaming, before they fill the disk. */
export const MAX_UPLOAD_BYTES = 64 * 2 ** 30;

const DataParams = z.object({ sha: Sha256 });
const RangeQuery = z.object({
  offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  length: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  lease: LeaseId.optional(),
});
const HostHeaders = z.object({
  'x-idlegrid-host': HostId,
  'x-idlegrid-secret': z.string().min(32).max(128),
});


export function dataRoutes(app: FastifyInstance, svc: Services): void {
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.post('/api/data', async (req, reply) => {
    requireRole(req, 'owner', 'uploading data');
    if (req.headers['content-type'] !== 'application/octet-stream') {
      throw new IdlegridError('BAD_REQUEST', 'upload the raw bytes with content-type application/octet-stream');
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_UPLOAD_BYTES) throw new IdlegridError('FRAME_TOO_LARGE', `${declared} bytes > ${MAX_UPLOAD_BYTES}`);
    const stored = await svc.inputs.put(req.body as Readable, MAX_UPLOAD_BYTES);
    svc.log.info({ ...stored, by: req.principal.id }, 'input stored');
    return reply.code(201).send(stored);
  });

  app.get('/api/data/:sha', async (req, reply) => {
    const params = DataParams.safeParse(req.params);
    if (!params.success) throw new IdlegridError('NOT_FOUND', `no input "${String((req.params as { sha?: unknown }).sha).slice(0, 64)}" (${describeIssues(params.error)})`);
    const q = RangeQuery.safeParse(req.query);
    if (!q.success) throw new IdlegridError('BAD_REQUEST', describeIssues(q.error));
    const { sha } = params.data;
    if (req.principal.role !== 'admin') await checkLease(svc, req.headers, sha, q.data);
    const size = await svc.inputs.size(sha);
    if (size === null) throw new IdlegridError('NOT_FOUND', `no input ${sha}`);
    const offset = q.data.offset ?? 0;
    const length = q.data.length ?? size - offset;
    if (length <= 0 || offset + length > size) {
      throw new IdlegridError('BAD_REQUEST', `range ${offset}+${length} is outside the ${size}-byte input`);
    }
    reply.header('content-type', 'application/octet-stream').header('content-length', length);
    return reply.send(svc.inputs.read(sha, offset, length));
  });
}

/** Throws a coded error unless the caller is a host holding a live lease on a unit that reads this range. */
async function checkLease(svc: Services, headers: Record<string, unknown>, sha: string, q: z.output<typeof RangeQuery>): Promise<void> {
  const h = HostHeaders.safeParse(headers);
  if (!h.success) {
    throw new IdlegridError('UNAUTHORIZED', `input data goes only to hosts holding a lease on its unit: send x-idlegrid-host and x-idlegrid-secret (${describeIssues(h.error)})`);
  }
  if (!q.lease) throw new IdlegridError('BAD_REQUEST', 'name the lease this download is for: ?lease=<job>.<unit>.<replica> (the path in the unit says it)');
  const host = h.data['x-idlegrid-host'];
  const stored = await svc.redis.hget(svc.keys.key('host', { host }), 'secret');
  if (!matchesHash(stored, h.data['x-idlegrid-secret'])) {
    throw new IdlegridError('HOST_AUTH', 'the host id and secret do not match a host that said hello');
  }
  const { jobId, unit, replica } = parseLeaseId(q.lease);
  const [holder, state] = await svc.redis.hmget(svc.keys.key('unit', { job: jobId, unit }), replicaField('host', replica), replicaField('state', replica));
  if (!holder) throw new IdlegridError('UNKNOWN_LEASE', q.lease);
  if (holder !== host) throw new IdlegridError('LEASE_NOT_YOURS', q.lease);
  if (state !== REPLICA_STATE.leased) throw new IdlegridError('LEASE_NOT_LIVE', q.lease);
  const meta = await svc.jobs.meta(jobId);
  const ref = meta ? meta.kind.input?.(meta.params, svc.jobs.unitSpec(meta, unit).spec) : undefined;
  const asked = `${sha}:${q.offset ?? 0}:${q.length ?? '(rest)'}`;
  if (!ref || sliceField(ref) !== asked) {
    throw new IdlegridError('FORBIDDEN', `lease ${q.lease} does not cover ${asked}${ref ? `; its unit reads ${sliceField(ref)}` : '; its unit reads no input'}`);
  }
}
