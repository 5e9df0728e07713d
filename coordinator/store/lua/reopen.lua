-- A host was caught lying (a result of its failed an audit or its checks): the results it had vouched
-- for in jobs still running are taken back. Each such unit is open again and wants one more replica (never
-- from this host: its marks stay), its counters and the credit granted for it are undone, and the
-- host's outcome there becomes invalid.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: hostId, nowMs
-- Reads/writes: host:{host}:vouchedjobs, job:{job}:vouched:{host}, job:{job}:vouchers,
-- host:{host}:vouched (a store's from before 2026-12-07), job:{job}, job:{job}:u:{unit}, job:{job}:canon,
-- need, sched, settled, host:{host}, account:{account}, team:{team}, credit:*, stats.
-- Returns: number of units reopened.
local host, now = ARGV[1], tonumber(ARGV[2])
local reopened = 0

-- Replica r of unit idx, if it is still this host's valid result in a running job.
local function take_back(jid, idx, r)
  local uk = k_unit(jid, idx)
  local jstate = redis.call('HGET', k_job(jid), 'state')
  if (jstate == 'queued' or jstate == 'running') and redis.call('HGET', uk, R_HOST .. r) == host
    and redis.call('HGET', uk, R_OUTCOME .. r) == O_VALID then
    local u = redis.call('HMGET', uk, U_STATE, U_CREDIT, U_ITEMS, U_OPS, R_ACCOUNT .. r)
    local credit = tonumber(u[2] or '0')
    redis.call('HSET', uk, R_OUTCOME .. r, O_INVALID)
    grant(host, u[5], -credit, now)
    redis.call('HINCRBY', k_host(host), 'nValid', -1)
    redis.call('HINCRBY', k_host(host), 'nInvalid', 1)
    host_day(host, 'v', -1, now)
    host_day(host, 'i', 1, now)
    redis.call('HINCRBY', k_stats(), 'results_valid', -1)
    stat('results_invalid')
    stat('ops_valid', -tonumber(u[4] or '0'))
    if u[1] == US_VALID then
      local jk = k_job(jid)
      redis.call('HSET', uk, U_STATE, US_OPEN)
      redis.call('HDEL', uk, U_CANON)
      redis.call('HDEL', k_canon(jid), idx)
      redis.call('HINCRBY', jk, 'unitsDone', -1)
      redis.call('HINCRBY', jk, 'inProgress', 1)
      redis.call('HINCRBYFLOAT', jk, 'itemsDone', -tonumber(u[3] or '0'))
      redis.call('HINCRBYFLOAT', jk, 'opsDone', -tonumber(u[4] or '0'))
      redis.call('HINCRBY', k_stats(), 'units_valid', -1)
      stat('units_reopened')
    end
    bump(uk)
    want_more(jid, uk, idx, 'reopened: a host that vouched for it was caught lying')
    -- A job that looked finished is not any more (unless a decisive result already ended its search).
    if redis.call('HGET', k_job(jid), 'decisive') ~= '1' then redis.call('SREM', k_settled(), jid) end
    reopened = reopened + 1
  end
end

-- Per job, the units this host vouched for; the host's replica of each is the one its mark names.
for _, jid in ipairs(redis.call('SMEMBERS', k_hostVouchedJobs(host))) do
  for _, idx in ipairs(redis.call('SMEMBERS', k_jobVouched(jid, host))) do
    local r = redis.call('HGET', k_unit(jid, idx), M_HOST .. host)
    if r then take_back(jid, idx, r) end
  end
  redis.call('DEL', k_jobVouched(jid, host))
  redis.call('SREM', k_jobVouchers(jid), host)
end
redis.call('DEL', k_hostVouchedJobs(host))
-- What a store written before the per-job sets holds: "job.unit.replica" members.
for _, member in ipairs(redis.call('ZRANGE', k_hostVouched(host), 0, -1)) do
  local jid, idx, r = parse_lease(member)
  if jid then take_back(jid, idx, r) end
end
redis.call('DEL', k_hostVouched(host))
return reopened
