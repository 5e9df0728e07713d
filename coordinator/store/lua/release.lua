-- A host hands back replicas it will not finish (shutdown without --finish): reissued at once, no penalty.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: hostId, lease, lease, ...
-- Reads/writes: as sweep.lua.   Returns: number of replicas released.
local host, n = ARGV[1], 0
for i = 2, #ARGV do
  local jid, idx, r = parse_lease(ARGV[i])
  if jid and redis.call('HGET', k_unit(jid, idx), R_HOST .. r) == host then
    if replica_gone(ARGV[i], RS_RELEASED, 'released by its host') then n = n + 1 end
  end
end
return n
