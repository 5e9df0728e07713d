-- Claim audits to run: up to `max` results whose audit is due (waiting, or claimed by a coordinator whose
-- claim lapsed: it died or lost Redis), each claimed until `untilMs`, so that two coordinators never run
-- the same audit at once and one that dies leaves its audits to the others (coordinator/audit-queue.ts).
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: nowMs, untilMs, max
-- Reads/writes: audits.   Returns: the lease ids claimed ("job.unit.replica").
local due = redis.call('ZRANGEBYSCORE', k_audits(), '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
if #due == 0 then return due end
local claim = {}
for _, lid in ipairs(due) do
  claim[#claim + 1] = ARGV[2]
  claim[#claim + 1] = lid
end
redis.call('ZADD', k_audits(), 'XX', unpack(claim))
return due
