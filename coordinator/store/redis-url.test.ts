/** The --redis forms, and the errors a user sees for a bad one (through the options schema too). */
import { describe, expect, it } from 'vitest';
import { resolveCoordinatorOptions } from '../options.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';

describe('parseRedisUrl', () => {
  it('takes one server as it is', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'server', url: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('rediss://:pw@redis.example:6380/2')).toEqual({ kind: 'server', url: 'rediss://:pw@redis.example:6380/2' });
  });

  it('takes sentinels, a master name, credentials and the sentinels\' password', () => {
    expect(parseRedisUrl('redis+sentinel://10.0.0.1:26379,10.0.0.2:26380,[::1]:26381,sentinel-d/mymaster')).toEqual({
      kind: 'sentinel',
      name: 'mymaster',
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26380 }, { host: '::1', port: 26381 }, { host: 'sentinel-d', port: 26379 }],
    });
    expect(parseRedisUrl('redis+sentinel://app:p%40ss@s1:1,s2:2/idlegrid?sentinelPassword=sp')).toEqual({
      kind: 'sentinel', name: 'idlegrid', username: 'app', password: 'p@ss', sentinelPassword: 'sp',
      sentinels: [{ host: 's1', port: 1 }, { host: 's2', port: 2 }],
    });
    expect(parseRedisUrl('redis+sentinel://:secret@s1:1/m')).toMatchObject({ password: 'secret' });
  });

  it('takes cluster nodes, with a default port and credentials', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,[::1]:7001,node-c')).toEqual({
      kind: 'cluster',
      nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '::1', port: 7001 }, { host: 'node-c', port: 6379 }],
    });
    expect(parseRedisUrl('redis+cluster://app:p%40ss@n1:7000')).toEqual({ kind: 'cluster', username: 'app', password: 'p@ss', nodes: [{ host: 'n1', port: 7000 }] });
    expect(redactRedisUrl('redis+cluster://app:secret@n1:7000,n2:7001')).toBe('redis+cluster://app:***@n1:7000,n2:7001');
  });

  it.each([
    ['localhost:6379', /has the scheme localhost; use redis:\/\/HOST\[:PORT\]/],
    ['http://127.0.0.1:6379', /has the scheme http; use redis:\/\//],
    ['not a url', /is not a URL/],
    ['redis://127.0.0.1:6379/queue', /the path must be a database number/],
    ['redis+sentinel://127.0.0.1:26379', /needs the master's name after the sentinels/],
    ['redis+cluster://', /names no cluster node/],
    ['redis+cluster://127.0.0.1:7000/0', /a Redis Cluster has no databases or names, so nothing may follow the nodes \(got "\/0"\)/],
    ['redis+cluster://127.0.0.1:7000?db=1', /redis\+cluster:\/\/ takes no parameters/],
    ['redis+cluster://a:7000,b c:1', /"b c:1" is not a cluster node address HOST:PORT/],
    ['redis+cluster://a:0', /port 0 of cluster node "a:0" is outside 1-65535/],
    ['redis+sentinel://127.0.0.1:26379/', /needs the master's name/],
    ['redis+sentinel:///mymaster', /names no sentinel/],
    ['redis+sentinel://a:1,,b:2/m', /"" is not a sentinel address/],
    ['redis+sentinel://a:99999/m', /port 99999 of sentinel "a:99999" is outside 1-65535/],
    ['redis+sentinel://a b:1/m', /"a b:1" is not a sentinel address/],
    ['redis+sentinel://a:1/m?db=2', /unknown parameter "db"/],
  ])('refuses %s, saying why', (url, why) => {
    expect(() => parseRedisUrl(url)).toThrow(why);
  });

  it('names the field and the reason through the options, with passwords masked', () => {
    expect(() => resolveCoordinatorOptions({ redisUrl: 'redis+sentinel://:hunter2@s1:1' })).toThrow(/^invalid coordinator options: redisUrl: .*:\*\*\*@s1:1" needs the master's name/);
    expect(() => resolveCoordinatorOptions({ redisUrl: 'redis+sentinel://:hunter2@s1:1' })).not.toThrow(/hunter2/);
    expect(redactRedisUrl('redis+sentinel://u:pw@a:1/m?sentinelPassword=x')).toBe('redis+sentinel://u:***@a:1/m?sentinelPassword=***');
  });

  it('waits for one replica by default through Sentinel, and on a cluster only if it has replicas (decided at start)', () => {
    expect(resolveCoordinatorOptions({ redisUrl: 'redis://127.0.0.1:6379' }).redisWaitReplicas).toBe(0);
    expect(resolveCoordinatorOptions({ redisUrl: 'redis+sentinel://s1:1/m' }).redisWaitReplicas).toBe(1);
    expect(resolveCoordinatorOptions({ redisUrl: 'redis+sentinel://s1:1/m', redisWaitReplicas: 0 }).redisWaitReplicas).toBe(0);
    expect(resolveCoordinatorOptions({ redisUrl: 'redis+cluster://n1:7000' })).toMatchObject({ redisWaitReplicas: 0, redisWaitReplicasAuto: true });
    expect(resolveCoordinatorOptions({ redisUrl: 'redis+cluster://n1:7000', redisWaitReplicas: 2 })).toMatchObject({ redisWaitReplicas: 2, redisWaitReplicasAuto: false });
    expect(resolveCoordinatorOptions({ redisUrl: 'redis://n1:7000' }).redisWaitReplicasAuto).toBe(false);
  });
});
