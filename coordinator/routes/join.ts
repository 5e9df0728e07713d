/**
 * /join: where anyone joins the grid, by computing in a browser tab or by installing the worker. The
 * page is built with the dashboard (dashboard/build.mjs writes join.html beside it, and its scripts are
 * served with the dashboard's assets); the install commands on it carry this coordinator's address as
 * the request reached it, so they work when scripts are off too (the page puts the browser's own
 * address there when they run).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { IdlegridError } from '../../protocol/index.js';
import { webRoot } from '../views/assets.js';

/** The address the visitor used. The Host header is theirs to send: only a plain host[:port] is echoed. */
function origin(req: FastifyRequest): string {
  const host = /^[A-Za-z0-9.[\]:-]{1,255}$/.test(req.host) ? req.host : 'HOST:PORT';
  return `${req.protocol}://${host}`;
}

export function joinRoutes(app: FastifyInstance): void {
  app.get('/join', async (req, reply) => {
    let html: string;
    try {
      html = await readFile(join(webRoot(), 'join.html'), 'utf8');
    } catch {
      throw new IdlegridError('NOT_FOUND', 'the /join page is not built: run `npm run build` (dashboard/build.mjs)');
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html.replaceAll('__ORIGIN__', origin(req)));
  });
}
