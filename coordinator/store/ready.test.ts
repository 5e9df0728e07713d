/**
 * The start-up checks of the store that need no special server: the version a Redis gives (the scripts
 * need 7.0; no older one is installed here, so the reading of INFO is checked on its text), and the real
 * Redis of the suite passing the same check.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkVersion, versionProblem } from './ready.js';
import { redisUrl, testRedis } from '../../test/helpers/redis.js';

const info = (version: string, extra = '') => `# Server\r\nredis_version:${version}\r\nredis_git_sha1:00000000\r\n${extra}redis_mode:standalone\r\n`;

describe('the Redis version', () => {
  const redis = testRedis();
  afterAll(() => redis.disconnect());

  it('refuses a Redis older than 7.0, naming its version and what to install', () => {
    expect(versionProblem(info('6.2.14'))).toMatch(/^is version 6\.2; idlegrid needs Redis 7\.0 or later/);
    expect(versionProblem(info('5.0.7'))).toMatch(/version 5\.0/);
  });

  it('takes 7.0 and later, Valkey (which reports a Redis version) and a server that does not say', () => {
    for (const v of ['7.0.0', '7.0.15', '7.2.4', '8.0.2', '10.1.0']) expect(versionProblem(info(v)), v).toBeUndefined();
    expect(versionProblem(info('7.2.4', 'valkey_version:8.1.0\r\n'))).toBeUndefined();
    expect(versionProblem('# Server\r\nredis_mode:standalone\r\n')).toBeUndefined();
  });

  it('passes the Redis the suite runs on', async () => {
    await expect(checkVersion(redis, redisUrl())).resolves.toBeUndefined();
  });
});
