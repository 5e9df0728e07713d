-- Add a grid history sample unless its interval already has one: two coordinators may sample the same
-- interval, and the first to add wins.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: interval start ms (the score), sample JSON (the member)
-- Reads/writes: history.   Returns: 1 when added, 0 when another coordinator sampled this interval first.
local slot = ARGV[1]
if redis.call('ZCOUNT', k_history(), slot, slot) > 0 then return 0 end
redis.call('ZADD', k_history(), slot, ARGV[2])
return 1
