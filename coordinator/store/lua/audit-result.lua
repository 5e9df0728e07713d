-- The verifier's finding on one result: it recomputed blocks of it and they all agreed (AU_PASSED; AU_WHOLE
-- when that was every block) or one did not (AU_FAILED). Written once, on a result still waiting for its decision; the unit goes back to the
-- validator, which decides with the finding.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: jobId, unit, replica, finding (AU_PASSED | AU_WHOLE | AU_FAILED), nowMs
-- Reads/writes: job:{job}:u:{unit}, validate.   Returns: 1 when recorded, 0 when the result was no longer pending.
local jid, idx, r, finding, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local uk = k_unit(jid, idx)
if redis.call('HGET', uk, R_STATE .. r) ~= RS_REPORTED or redis.call('HEXISTS', uk, R_AUDIT .. r) == 1 then return 0 end
if redis.call('HGET', uk, U_STATE) ~= US_OPEN then return 0 end
redis.call('HSET', uk, R_AUDIT .. r, finding)
bump(uk)
redis.call('ZADD', k_validate(), now, jid .. '.' .. idx)
return 1
