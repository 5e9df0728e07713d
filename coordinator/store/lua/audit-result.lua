-- The verifier's finding on one result: it recomputed blocks of it and they all agreed (AU_PASSED; AU_WHOLE
-- when that was every block) or one did not (AU_FAILED). Written once, on a result still waiting for its
-- decision; the unit goes back to the validator, which decides with the finding. The audit leaves the
-- audit queue in the same step, recorded or not, and the coordinator's next audits are claimed with it
-- (coordinator/audit-queue.ts): one round trip per audit, where a round trip is most of what an audit
-- costs Redis (docs/scaling.md, Cheaper before sharding, item 12).
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: jobId, unit, replica, finding (AU_PASSED | AU_WHOLE | AU_FAILED, or '' for none: the audit is only
-- taken off the queue), nowMs, untilMs, max (audits to claim until untilMs, lib.lua claim_audits)
-- Reads/writes: job:{job}:u:{unit}, validate, audits, audits:tries; for the claims, as claim-audits.lua.
-- Returns: { 1 when the finding was recorded, 0 when none was given or the result was no longer pending,
-- the claims as claim-audits.lua returns them }.
local jid, idx, r, finding, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local uk = k_unit(jid, idx)
local lid = jid .. '.' .. idx .. '.' .. r
redis.call('ZREM', k_audits(), lid)
redis.call('HDEL', k_auditTries(), lid)
local function record()
  if finding == '' then return 0 end
  if redis.call('HGET', uk, R_STATE .. r) ~= RS_REPORTED or redis.call('HEXISTS', uk, R_AUDIT .. r) == 1 then return 0 end
  if redis.call('HGET', uk, U_STATE) ~= US_OPEN then return 0 end
  redis.call('HSET', uk, R_AUDIT .. r, finding)
  bump(uk)
  redis.call('ZADD', k_validate(), now, jid .. '.' .. idx)
  return 1
end
local recorded = record()
return { recorded, claim_audits(ARGV[5], ARGV[6] or ARGV[5], tonumber(ARGV[7] or '0')) }
