/**
 * GET /api/jobs/:id/pictures/:n: a picture of candidate n of a finished job's answer (the fftscan kind
 * draws a waterfall plot around it, SVG), for the dashboard and for people reading results. Who may see
 * it is who may read the job's result (canReadJob, as GET /api/jobs/:id). The kind names the byte range
 * of the stored recording it needs (`pictureInput`); the coordinator reads it and the kind draws
 * (`picture`), both pure. A done job's answer never changes, so a picture may be kept: by clients for a
 * day, and here in a small cache so a dashboard refresh does not draw it again.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { IdlegridError, JobId, describeIssues } from '../../protocol/index.js';
import { canReadJob } from '../auth.js';
import type { Services } from '../services.js';

const PictureParams = z.object({ id: JobId, n: z.coerce.number().int().min(0).max(1_000_000) });

/** Pictures kept in memory (each under 300 kB), oldest dropped first. */
const CACHE_ENTRIES = 64;
/** Drawing costs up to a few hundred ms of CPU: a lower per-IP limit than the API's. */
const PICTURES_PER_IP_PER_MINUTE = 120;
/** How long clients may keep a picture (a day: a coordinator upgrade may draw it better). */
const MAX_AGE_S = 86_400;

interface Drawn {
  contentType: string;
  body: string;
}

async function readRange(svc: Services, sha256: string, offset: number, length: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of svc.inputs.read(sha256, offset, length)) {
      chunks.push(chunk as Buffer);
      got += (chunk as Buffer).length;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new IdlegridError('NOT_FOUND', `the recording ${sha256} is no longer stored here`);
    throw err;
  }
  if (got !== length) throw new IdlegridError('NOT_FOUND', `the recording ${sha256} holds fewer bytes than the picture needs (${offset}+${length})`);
  const all = Buffer.concat(chunks, got);
  return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
}

export function pictureRoutes(app: FastifyInstance, svc: Services): void {
  const cache = new Map<string, Drawn>();

  app.get('/api/jobs/:id/pictures/:n', { config: { rateLimit: { max: PICTURES_PER_IP_PER_MINUTE, timeWindow: 60_000 } } }, async (req, reply) => {
    const params = PictureParams.safeParse(req.params);
    const raw = req.params as { id?: unknown; n?: unknown };
    if (!params.success) {
      throw new IdlegridError('NOT_FOUND', `no picture "${String(raw.n).slice(0, 20)}" of job "${String(raw.id).slice(0, 40)}" (${describeIssues(params.error)})`);
    }
    const { id, n } = params.data;
    const doc = await svc.jobs.get(id);
    if (!doc) throw new IdlegridError('NOT_FOUND', `no job "${id}"`);
    if (!canReadJob(req.principal, doc)) {
      throw new IdlegridError('FORBIDDEN', `job ${id} is private: only its owner and the admin may see its pictures (pass the owner's token)`);
    }
    const meta = await svc.jobs.meta(id);
    if (!meta) throw new IdlegridError('NOT_FOUND', `no job "${id}"`);
    const kind = meta.kind;
    if (!kind.picture) throw new IdlegridError('NOT_FOUND', `jobs of kind ${kind.name} have no pictures`);
    if (doc.state !== 'done') {
      throw new IdlegridError('NOT_FOUND', `job ${id} is ${doc.state}: pictures exist once it is done and has an answer`);
    }

    const key = `${svc.keys.prefix}/${id}/${n}`;
    let drawn = cache.get(key);
    if (!drawn) {
      const answer = doc.result;
      const ref = kind.pictureInput?.(meta.params, answer, n);
      const input = ref ? await readRange(svc, ref.sha256, ref.offset, ref.length) : undefined;
      drawn = kind.picture(meta.params, answer, n, input);
      if (!drawn) {
        const list = (answer as { candidates?: unknown } | null)?.candidates;
        const count = Array.isArray(list) ? ` (its answer has ${list.length} candidate${list.length === 1 ? '' : 's'}, numbered from 0)` : '';
        throw new IdlegridError('NOT_FOUND', `job ${id} has no picture ${n}${count}`);
      }
      if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
      cache.set(key, drawn);
    }
    // A private job's picture must not sit in shared caches; either way the answer no longer changes.
    const scope = doc.public ? 'public' : 'private';
    return reply
      .header('content-type', drawn.contentType)
      .header('cache-control', `${scope}, max-age=${MAX_AGE_S}, immutable`)
      .send(drawn.body);
  });
}
