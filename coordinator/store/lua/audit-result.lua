-- The verifier's finding on one result: it recomputed blocks of it and they all agreed (AU_PASSED; AU_WHOLE
-- when that was every block) or one did not (AU_FAILED). Written once, on a result still waiting for its decision; the unit goes back to the
-- validator, which decides with the finding. The audit leaves the audit queue in the same step, recorded or
-- not (coordinator/audit-queue.ts): a round trip less per audit, which is most of what an audit costs Redis.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: jobId, unit, replica, finding (AU_PASSED | AU_WHOLE | AU_FAILED), nowMs
-- Reads/writes: job:{job}:u:{unit}, validate, audits, audits:tries.   Returns: 1 when recorded, 0 when the result was no longer pending.
local jid, idx, r, finding, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local uk = k_unit(jid, idx)
local lid = jid .. '.' .. idx .. '.' .. r
redis.call('ZREM', k_audits(), lid)
redis.call('HDEL', k_auditTries(), lid)
if redis.call('HGET', uk, R_STATE .. r) ~= RS_REPORTED or redis.call('HEXISTS', uk, R_AUDIT .. r) == 1 then return 0 end
if redis.call('HGET', uk, U_STATE) ~= US_OPEN then return 0 end
redis.call('HSET', uk, R_AUDIT .. r, finding)
bump(uk)
redis.call('ZADD', k_validate(), now, jid .. '.' .. idx)
return 1
