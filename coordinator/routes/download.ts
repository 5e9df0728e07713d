/**
 * GET /download/idlegrid.tgz: this coordinator's own software as `npm pack` makes it (package.json
 * `files`: bin/, the built dist/, the docs), so that a volunteer installs the worker without cloning:
 * `npm install -g http://HOST:PORT/download/idlegrid.tgz`. Packed by npm itself, once per process on the
 * first request, from the installation the coordinator runs from (scripts skipped: it is built already),
 * into a temporary folder that close() removes.
 */
import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { IdlegridError } from '../../protocol/index.js';
import { packageRoot } from '../views/assets.js';

const run = promisify(execFile);

export interface Tarball {
  file: string;
  filename: string;
  size: number;
  /** npm's own checks: sha1 hex (`shasum`) and the SRI string (`integrity`). */
  shasum: string;
  integrity: string;
}

/** npm's command-line entry beside the running Node (npm ships with it), or as the npm running us. */
function npmCli(): string[] {
  const beside = [
    process.env.npm_execpath,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ].find((p) => p?.endsWith('npm-cli.js') && existsSync(p));
  if (!beside) throw new IdlegridError('INTERNAL', `npm was not found beside ${process.execPath}: the coordinator packs its download with npm, which comes with Node.js`);
  return [process.execPath, beside];
}

export async function packTarball(root: string, dest: string): Promise<Tarball> {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new IdlegridError('NOT_FOUND', `the package at ${root} is not built: run \`npm run build\` there first`);
  const [node, cli] = npmCli();
  let stdout: string;
  try {
    ({ stdout } = await run(node, [cli, 'pack', '--json', '--ignore-scripts', '--pack-destination', dest], {
      cwd: root,
      timeout: 120_000,
      maxBuffer: 64 << 20,
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' },
    }));
  } catch (err) {
    throw new IdlegridError('INTERNAL', `npm pack failed in ${root}: ${((err as { stderr?: string }).stderr || (err as Error).message).trim().split('\n').slice(-3).join(' ')}`);
  }
  const [info] = JSON.parse(stdout) as Array<{ filename: string; size: number; shasum: string; integrity: string }>;
  return { file: join(dest, info.filename), filename: info.filename, size: info.size, shasum: info.shasum, integrity: info.integrity };
}

export function downloadRoutes(app: FastifyInstance): void {
  let dir: string | undefined;
  let packing: Promise<Tarball> | undefined;
  const tarball = (): Promise<Tarball> => {
    // One pack for every request that comes while it runs; a failed one is tried again next time.
    packing ??= (async () => packTarball(packageRoot(), (dir ??= await mkdtemp(join(tmpdir(), 'idlegrid-download-')))))().catch((err: unknown) => {
      packing = undefined;
      throw err;
    });
    return packing;
  };
  app.addHook('onClose', async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  app.get('/download/idlegrid.tgz', async (_req, reply) => {
    const t = await tarball();
    return reply
      .type('application/gzip')
      .header('content-length', t.size)
      .header('content-disposition', `attachment; filename="${t.filename}"`)
      .header('etag', `"${t.shasum}"`)
      .header('x-idlegrid-integrity', t.integrity)
      .header('cache-control', 'no-cache')
      .send(createReadStream(t.file));
  });
}
