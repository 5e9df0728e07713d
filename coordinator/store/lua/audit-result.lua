-- The verifier's findings on results: it recomputed blocks of each and they all agreed (AU_PASSED; AU_WHOLE
-- when that was every block) or one did not (AU_FAILED). Each is written once, on a result still waiting
-- for its decision; its unit goes back to the validator, which decides with the finding. The audits leave
-- the audit queue in the same step, recorded or not, and the coordinator's next audits are claimed with
-- them (coordinator/audit-queue.ts): a round trip is most of what an audit costs Redis (docs/scaling.md,
-- Cheaper before sharding, item 12).
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: nowMs, untilMs, max (audits to claim until untilMs, lib.lua claim_audits), n, then n groups of:
-- jobId, unit, replica, finding (AU_PASSED | AU_WHOLE | AU_FAILED, or '' for none: only taken off the
-- queue), the host's trust epoch for the kind that the verifier went by ('' for none)
-- Reads/writes: job:{job}:u:{unit}, job:{job} (kind), host:{host} (trust epoch), validate, audits,
-- audits:tries; for the claims, as claim-audits.lua.
-- Returns: { per finding 1 when recorded, 0 when none was given or its result was no longer pending,
-- 2 when it was a partial audit of a host caught since its trust was read (the audit is due again, and
-- runs with the host's trust as it is now: in full); the claims as claim-audits.lua returns them }.
local now, n = ARGV[1], tonumber(ARGV[4])

-- A partial audit (some blocks) is only as good as the trust it went by: a host caught between the claim
-- that read its trust and this call gets every block of its result recomputed instead. Jobs' kinds are
-- read once per call.
local kinds = {}
local function trust_moved(jid, host, epoch)
  if kinds[jid] == nil then kinds[jid] = redis.call('HGET', k_job(jid), 'kind') end
  local kind = kinds[jid]
  if not host or not kind then return false end
  local now_epoch = redis.call('HGET', k_host(host), 'ce:' .. kind) or '0'
  return now_epoch ~= (epoch == '' and '0' or epoch)
end

local function record(jid, idx, r, finding, epoch)
  local uk = k_unit(jid, idx)
  local lid = jid .. '.' .. idx .. '.' .. r
  -- One read of the unit: the replica's host, its state and audit mark, the unit's state.
  local u = redis.call('HMGET', uk, R_HOST .. r, R_STATE .. r, R_AUDIT .. r, U_STATE)
  if finding == AU_PASSED and trust_moved(jid, u[1], epoch) then
    redis.call('ZADD', k_audits(), now, lid)
    return 2
  end
  redis.call('ZREM', k_audits(), lid)
  redis.call('HDEL', k_auditTries(), lid)
  if finding == '' then return 0 end
  if u[2] ~= RS_REPORTED or u[3] or u[4] ~= US_OPEN then return 0 end
  redis.call('HSET', uk, R_AUDIT .. r, finding)
  bump(uk)
  redis.call('ZADD', k_validate(), now, jid .. '.' .. idx)
  return 1
end

local recorded = {}
for i = 0, n - 1 do
  local at = 5 + i * 5
  recorded[#recorded + 1] = record(ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4])
end
return { recorded, claim_audits(now, ARGV[2], tonumber(ARGV[3])) }
