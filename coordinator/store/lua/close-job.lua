-- End a job: done (with its assembled result), failed, or cancelled. Outstanding replicas are withdrawn
-- and returned so that coordinators can tell their hosts to drop them. Idempotent.
-- ARGV: prefix, jobId, newState, nowMs, resultJSON ('' for none), errorJSON ('' for none)
-- Reads/writes: job:{job}, sched, need, job:{job}:leases, leases, host:{host}:leases, unit hashes, settled.
-- Returns: flat list leaseId, hostId, ... of withdrawn replicas; or 'already' when the job had ended.
local jid, state, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local jk = k_job(jid)
local cur = redis.call('HGET', jk, 'state')
redis.call('SREM', k_settled(), jid)
if cur ~= 'queued' and cur ~= 'running' then return 'already' end
redis.call('HSET', jk, 'state', state, 'finishedAt', now)
if ARGV[5] ~= '' then redis.call('HSET', jk, 'result', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', jk, 'error', ARGV[6]) end
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
return out
