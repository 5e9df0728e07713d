-- A host's connection closed: the host has until `expiry` (a short grace) to come back, on any
-- coordinator, before its replicas go to others. Only if that connection still speaks for the host: a
-- host that has already said hello again (here or to another coordinator) keeps the expiry of its new link.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: hostId, link, expiryMs
-- Reads: host:{host} (link).   Writes: hosts:live.   Returns: 1 when the grace was set, 0 otherwise.
local host, link, expiry = ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('HGET', k_host(host), HF_LINK) ~= link then return 0 end
local cur = tonumber(redis.call('ZSCORE', k_hostsLive(), host) or '')
if cur and cur < expiry then return 0 end
redis.call('ZADD', k_hostsLive(), expiry, host)
return 1
