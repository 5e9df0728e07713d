/**
 * The CLI's requests, with real processes: a server that accepts connections and never answers is given
 * up on after --timeout (or IDLEGRID_TIMEOUT) with a message naming the URL and the timeout; an address
 * that is not a URL is called that, not "unreachable"; text other people wrote (a job's name, a host's
 * failure reason) reaches the terminal without its control characters.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../coordinator/store/keys.js';
import { cli, startCoordinatorProcess, submitJob, type Proc } from '../helpers/processes.js';
import { redisUrl, uniquePrefix } from '../helpers/redis.js';
import { keyJobParams } from '../security/support.js';

// Control characters, C1 included; the CLI's own output has none (no colours, no progress bar without --wait).
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe('a coordinator that never answers', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let accepted = 0;
  let url = '';

  beforeAll(async () => {
    // Accepts, reads, holds: like a coordinator stuck on a dead Redis, or the wrong program on the port.
    server = createServer((s) => {
      sockets.add(s);
      accepted++;
      s.on('data', () => {});
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((res) => server.close(res));
  });

  it('is given up on after --timeout, naming the request and the timeout', async () => {
    const jobs = await cli(['jobs', '--coordinator', url, '--timeout', '1']);
    expect(jobs.code).toBe(1);
    expect(jobs.stderr).toBe(`error: TIMEOUT: GET ${url}/api/jobs: no answer within 1 s; is the coordinator overloaded, or is something else listening there? (wait longer with --timeout or IDLEGRID_TIMEOUT)\n`);
    const status = await cli(['status', 'abcdef12', '--coordinator', url, '--timeout', '0.5']);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(new RegExp(`^error: TIMEOUT: GET ${url}/api/jobs/abcdef12: no answer within 0.5 s`));
    expect(accepted).toBeGreaterThanOrEqual(2); // the requests did reach this server
  }, 120_000);

  it('takes the timeout from IDLEGRID_TIMEOUT, and every client command has one', async () => {
    const env = { IDLEGRID_TIMEOUT: '0.5', IDLEGRID_COORDINATOR: url };
    const commands = [['jobs'], ['result', 'abcdef12'], ['cancel', 'abcdef12'], ['account', 'create', '--name', 'v'], ['token', 'create', '--name', 't'], ['token', 'revoke', 'abcdef12'],
      ['submit', 'keysearch', '--algorithm', 'rc5-32/12/9', '--iv', '00', '--plaintext', '00', '--ciphertext', '00', '--start', '00', '--count', '1'],
      ['submit', 'fftscan', 'test/fixtures/setigen_sample_cband_DIAG_SGR_B2.fil']];
    const runs = await Promise.all(commands.map((args) => cli(args, env)));
    runs.forEach((r, i) => {
      expect(r.code, commands[i].join(' ')).toBe(1);
      expect(r.stderr, commands[i].join(' ')).toMatch(/^error: TIMEOUT: (GET|POST|DELETE) http:\/\/127\.0\.0\.1:\d+\/api\/\S+: no answer within 0\.5 s/m);
    });
    expect(runs.at(-1)!.stderr).toMatch(/POST \S+\/api\/data: no answer/); // the upload itself
    const bad = await cli(['jobs'], { ...env, IDLEGRID_TIMEOUT: 'soon' });
    expect(bad.stderr).toBe('error: BAD_REQUEST: IDLEGRID_TIMEOUT="soon" is not a number of seconds (more than 0, at most 86400)\n');
    const flag = await cli(['jobs', '--timeout', '0'], env);
    expect(flag.stderr).toMatch(/--timeout must be a number of seconds, more than 0/);
  }, 120_000);
});

describe('a coordinator address that is not a URL', () => {
  it('is named as such, not as an unreachable coordinator', async () => {
    const r = await cli(['jobs', '--coordinator', 'not a url']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: BAD_URL: --coordinator "not a url" is not a valid URL: give the coordinator\'s address, e.g. http://127.0.0.1:8080\n');
    const scheme = await cli(['status', 'abcdef12'], { IDLEGRID_COORDINATOR: 'localhost:8080' });
    expect(scheme.stderr).toMatch(/^error: BAD_URL: IDLEGRID_COORDINATOR "localhost:8080" is not an http:\/\/ or https:\/\/ URL/);
    const worker = await cli(['submit', 'fftscan', 'test/fixtures/seti_reference_work_unit.sah', '--coordinator', 'ws://127.0.0.1:8080/ws']);
    expect(worker.stderr).toMatch(/^error: BAD_URL: --coordinator "ws:\/\/127\.0\.0\.1:8080\/ws" is not an http/);
  });
});

describe('text from others on the terminal', () => {
  let coord: (Proc & { url: string }) | undefined;
  let prefix = '';
  const redis = new Redis(redisUrl());
  beforeAll(async () => {
    prefix = uniquePrefix('cli-text');
    coord = await startCoordinatorProcess(redisUrl(), prefix);
  });
  afterAll(async () => {
    await coord?.kill('SIGKILL');
    redis.disconnect();
  });

  it('a name with ESC[2J and BEL is refused when submitted', async () => {
    const r = await cli(['submit', 'keysearch', '--algorithm', 'rc5-32/12/9', '--iv', '0000000000000000', '--plaintext', '0000000000000000',
      '--ciphertext', '0000000000000000', '--start', '000000000000000000', '--count', '4096', '--name', 'x\x1b[2J\x07', '--coordinator', coord!.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: BAD_REQUEST: request is invalid: name: contains a control character (U+001B at character 1); use printable text\n');
  });

  it('status and jobs print stored names and hosts\' failure reasons without control characters', async () => {
    const id = await submitJob(coord!.url, { kind: 'keysearch', name: 'plain', params: keyJobParams({ count: 8192, unitSize: 4096, keyOffset: 1 }).params, public: true });
    // As an older coordinator stored a name, and as a host reports a failure: free text, unchecked.
    const keys = new Keys(prefix);
    await redis.hset(keys.key('job', { job: id }), 'name', 'evil\x1b[2J\x07 job\r\nforged line\u009b31m');
    await redis.hset(keys.key('failed', { job: id }), '1', JSON.stringify({ code: 'UNIT_ERROR', message: 'out of memory\x1b]0;owned\x07\x1b[1A' }));

    const status = await cli(['status', id, '--coordinator', coord!.url]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).not.toMatch(CONTROL);
    expect(status.stdout).toContain(`job ${id} (keysearch, evil[2J job forged line31m): `);
    expect(status.stdout).toContain('unit 1 failed: UNIT_ERROR: out of memory]0;owned[1A');

    const jobs = await cli(['jobs', '--coordinator', coord!.url]);
    expect(jobs.code, jobs.stderr).toBe(0);
    expect(jobs.stdout).not.toMatch(CONTROL);
    expect(jobs.stdout).toMatch(new RegExp(`^${id} .*evil\\[2J job forged line31m$`, 'm'));
    expect(jobs.stdout.split('\n').filter(Boolean)).toHaveLength(2); // the header and one job: no forged line
  });
});
