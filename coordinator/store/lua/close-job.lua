-- End a job: done (with its assembled result), failed, or cancelled. Outstanding replicas are withdrawn
-- and returned so that coordinators can tell their hosts to drop them. Idempotent.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: jobId, newState, nowMs, resultJSON ('' for none), errorJSON ('' for none)
-- Reads/writes: job:{job}, sched, need, job:{job}:leases, leases, host:{host}:leases, unit hashes, settled,
-- job:{job}:vouchers, job:{job}:vouched:{host}, host:{host}:vouchedjobs.
-- Returns: flat list leaseId, hostId, ... of withdrawn replicas; 'already' when the job had ended;
-- 'unsettled' when a done/failed end was asked for a job that still has open units.
local jid, state, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local jk = k_job(jid)
local cur = redis.call('HGET', jk, 'state')
redis.call('SREM', k_settled(), jid)
if cur ~= 'queued' and cur ~= 'running' then return 'already' end
-- The assembler ends a job only once it is settled: every unit valid or failed, or a decisive result.
-- (A unit reopened after the job was queued for assembly makes it unsettled again.)
if state ~= 'cancelled' and redis.call('HGET', jk, 'decisive') ~= '1' and not job_settled(jid) then return 'unsettled' end
redis.call('HSET', jk, 'state', state, 'finishedAt', now)
if ARGV[4] ~= '' then redis.call('HSET', jk, 'result', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', jk, 'error', ARGV[5]) end
redis.call('ZREM', k_sched(), jid)
redis.call('DEL', k_need(jid))
local out = {}
for _, lid in ipairs(redis.call('SMEMBERS', k_jobLeases(jid))) do
  local _, idx, r = parse_lease(lid)
  local uk = k_unit(jid, idx)
  local host = redis.call('HGET', uk, R_HOST .. r)
  redis.call('ZREM', k_leases(), lid)
  if host then redis.call('SREM', k_hostLeases(host), lid) end
  if redis.call('HGET', uk, R_STATE .. r) == RS_LEASED then
    redis.call('HSET', uk, R_STATE .. r, RS_RELEASED)
    redis.call('HINCRBY', uk, U_OUT, -1)
  end
  out[#out + 1] = lid
  out[#out + 1] = host or ''
end
redis.call('DEL', k_jobLeases(jid))
-- What hosts vouched for here can no longer be reopened (reopen.lua touches running jobs only).
for _, host in ipairs(redis.call('SMEMBERS', k_jobVouchers(jid))) do
  redis.call('DEL', k_jobVouched(jid, host))
  redis.call('SREM', k_hostVouchedJobs(host), jid)
end
redis.call('DEL', k_jobVouchers(jid))
return out
