-- Host records that never returned a valid result and have not been seen since `cutoff` are deleted, with
-- their daily record and lease set (any replica still out is handed back first), so hellos with made-up
-- host ids leave nothing permanent. A host with a valid result left `hosts:unproven` when it was judged.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: cutoffMs, limit
-- Reads/writes: hosts:unproven, host:{host}, host:{host}:daily, host:{host}:leases, host:{host}:vouched,
-- host:{host}:vouchedjobs, hosts, hosts:live, and
-- as release.lua for each replica.
-- Returns: number of host records deleted.
local cutoff, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local n = 0
for _, host in ipairs(redis.call('ZRANGEBYSCORE', k_hostsUnproven(), '-inf', cutoff, 'LIMIT', 0, limit)) do
  redis.call('ZREM', k_hostsUnproven(), host)
  if tonumber(redis.call('HGET', k_host(host), 'nValid') or '0') == 0 then
    for _, lid in ipairs(redis.call('SMEMBERS', k_hostLeases(host))) do
      replica_gone(lid, RS_RELEASED, 'its host expired', false)
    end
    redis.call('DEL', k_host(host), k_hostDaily(host), k_hostLeases(host), k_hostVouched(host), k_hostVouchedJobs(host))
    redis.call('ZREM', k_hosts(), host)
    redis.call('ZREM', k_hostsLive(), host)
    n = n + 1
  end
end
return n
