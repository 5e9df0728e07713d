/**
 * Every HTTP error leaves in the documented shape, {"error": {"code", "message"}} with a registered code,
 * including those fastify and Node's HTTP parser raise before a route runs: a path parameter too long
 * (414), headers too large (431), a body of the wrong type (415) or size (413), JSON that does not parse.
 * Over a real socket, since the parser's errors never reach an in-memory inject().
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody, ERRORS } from '../../protocol/index.js';
import { adminHeaders, startTestCoordinator, type TestCoordinator } from '../helpers/coordinator.js';

let coord: TestCoordinator;
beforeAll(async () => {
  coord = await startTestCoordinator();
});
afterAll(async () => {
  await coord.stop();
});

async function expectShape(res: Response, status: number, code: keyof typeof ERRORS, message?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.code).toBe(code);
  if (message) expect(body.error.message).toMatch(message);
}

describe('HTTP errors', () => {
  it('a 5,000-character job id: 414 URL_TOO_LONG', async () => {
    await expectShape(await fetch(`${coord.url}/api/jobs/${'a'.repeat(5000)}`), 414, 'URL_TOO_LONG');
  });

  it('20 KB of headers: 431 HEADERS_TOO_LARGE, answered on the raw socket', async () => {
    const port = new URL(coord.url).port;
    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect(Number(port), '127.0.0.1', () => s.write(`GET /api/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
      let d = '';
      s.on('data', (b) => (d += b));
      s.on('close', () => resolve(d));
      s.on('error', reject);
    });
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/content-type: application\/json/i);
    expect(ErrorBody.parse(JSON.parse(body)).error.code).toBe('HEADERS_TOO_LARGE');
  });

  it('a body that is not JSON: 415 UNSUPPORTED_MEDIA_TYPE saying JSON is expected', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const res = await fetch(`${coord.url}/api/jobs`, { method: 'POST', headers: { 'content-type': type, ...adminHeaders() }, body: 'kind=keysearch' });
      await expectShape(res, 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json/);
    }
  });

  it('a body over 1 MiB: 413 FRAME_TOO_LARGE', async () => {
    const res = await fetch(`${coord.url}/api/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `"${'x'.repeat(2 << 20)}"` });
    await expectShape(res, 413, 'FRAME_TOO_LARGE');
  });

  it('JSON that does not parse: 400 BAD_REQUEST', async () => {
    const res = await fetch(`${coord.url}/api/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' });
    await expectShape(res, 400, 'BAD_REQUEST', /JSON/);
  });

  it('an unknown route: 404 NOT_FOUND naming it', async () => {
    await expectShape(await fetch(`${coord.url}/api/nothing-here`), 404, 'NOT_FOUND', /GET \/api\/nothing-here/);
  });
});
