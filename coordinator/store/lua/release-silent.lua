-- Hosts not heard from by their time in `hosts:live` (silent for a few heartbeat periods while connected,
-- or disconnected past the grace) hand their replicas back: released, not timed out, so there is no trust
-- penalty and no cool-down (the host may get the unit again if it returns), but the units go to others now.
-- Any coordinator may run it at any time; each host is handled once (it leaves `hosts:live`).
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: nowMs, limit
-- Reads/writes: hosts:live, host:{host}:leases, and as release.lua for each replica.
-- Returns: flat list leaseId, hostId, ... of the replicas released.
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local out = {}
for _, host in ipairs(redis.call('ZRANGEBYSCORE', k_hostsLive(), '-inf', now, 'LIMIT', 0, limit)) do
  redis.call('ZREM', k_hostsLive(), host)
  for _, lid in ipairs(redis.call('SMEMBERS', k_hostLeases(host))) do
    if replica_gone(lid, RS_RELEASED, 'its host went silent', false) then
      out[#out + 1] = lid
      out[#out + 1] = host
    end
  end
end
return out
