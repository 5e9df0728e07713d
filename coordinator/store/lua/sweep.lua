-- The transitioner: replicas past their deadline become NO_REPLY (RS_NO_REPLY) and are replaced (BOINC's
-- transitioner). Any coordinator may run it at any time; each lease is handled exactly once.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: nowMs, limit
-- Reads/writes: leases, job:{job}:u:{unit}, job:{job}:leases, host:{host}:leases, host:{host}, need,
-- sched, failed, settled, stats.   Returns: number of replicas timed out.
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local expired = redis.call('ZRANGEBYSCORE', k_leases(), '-inf', now, 'LIMIT', 0, limit)
local n = 0
for _, lid in ipairs(expired) do
  if replica_gone(lid, RS_NO_REPLY, 'no reply by the deadline') then n = n + 1 end
end
return n
