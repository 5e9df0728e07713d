-- Lease up to `count` replicas to one host: per job, replicas that units still need first (reissues,
-- second copies), then fresh units cut lazily from the job's cursor. Jobs are served lowest pass first
-- and each lease advances the job's pass by 1/weight (stride scheduling), so no job starves.
-- ARGV: prefix, hostId, account ('' if anonymous), nowMs, count, kinds (",a,b,"), maxJobs, rand1..randCount
-- Reads/writes: sched, job:{job}, job:{job}:need, job:{job}:u:{unit}, leases, job:{job}:leases,
-- host:{host}:leases; reads host:{host} (trust per kind).
-- Returns: flat list jobId, unit, replica, deadlineMs, ... and finally a reason code ('' when some were leased;
-- else no_jobs | incompatible | needs_other_host (what is left needs a host or account other than this one)
-- | all_leased (every unit is out with hosts or waiting for validation)).
local host, acct, now = ARGV[2], ARGV[3], tonumber(ARGV[4])
local count, kinds, maxJobs = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local out, got, rnd = {}, 0, 8
local sawJob, sawKind, sawBlocked = false, false, false

local function issue(jid, uk, idx, delayMs)
  local r = redis.call('HINCRBY', uk, U_REPLICAS, 1) - 1
  local deadline = now + delayMs
  redis.call('HSET', uk, R_HOST .. r, host, R_ACCOUNT .. r, acct, R_STATE .. r, RS_LEASED, R_DEADLINE .. r, deadline, M_HOST .. host, r)
  if acct ~= '' then redis.call('HSET', uk, M_ACCOUNT .. acct, r) end
  redis.call('HINCRBY', uk, U_OUT, 1)
  bump(uk)
  local lid = jid .. '.' .. idx .. '.' .. r
  redis.call('ZADD', k_leases(), deadline, lid)
  redis.call('SADD', k_jobLeases(jid), lid)
  redis.call('SADD', k_hostLeases(host), lid)
  out[#out + 1] = jid; out[#out + 1] = idx; out[#out + 1] = r; out[#out + 1] = deadline
  got = got + 1
end

-- Serve up to `quota` replicas of one job to this host; returns how many were leased.
local function serve(jid, quota)
  local jk = k_job(jid)
  local j = redis.call('HMGET', jk, 'kind', 'state', 'cursor', 'unitsTotal', 'minQuorum', 'targetResults',
    'delayMs', 'adaptive', 'weightEff')
  if not j[1] or (j[2] ~= 'queued' and j[2] ~= 'running') then
    redis.call('ZREM', k_sched(), jid)
    return 0
  end
  sawJob = true
  if not string.find(kinds, ',' .. j[1] .. ',', 1, true) then return 0 end
  sawKind = true
  local before, limit = got, got + quota
  local delayMs = tonumber(j[7])
  -- 1) replicas that open units still need, never to a host (or account) that has one already
  local needs = redis.call('ZRANGE', k_need(jid), 0, 199)
  for _, idx in ipairs(needs) do
    if got >= limit then break end
    local uk = k_unit(jid, idx)
    local handedBack = tonumber(redis.call('HGET', uk, M_HANDED_BACK .. host) or '0')
    if redis.call('HEXISTS', uk, M_HOST .. host) == 0 and (acct == '' or redis.call('HEXISTS', uk, M_ACCOUNT .. acct) == 0)
      and now - handedBack > HANDBACK_COOLDOWN_MS then
      issue(jid, uk, idx, delayMs)
      if redis.call('HINCRBY', uk, U_NEED, -1) <= 0 then redis.call('ZREM', k_need(jid), idx) end
    else
      sawBlocked = true
    end
  end
  -- 2) fresh units
  local cursor, total = tonumber(j[3]), tonumber(j[4])
  local q, target = tonumber(j[5]), tonumber(j[6])
  local cv = tonumber(redis.call('HGET', k_host(host), 'cv:' .. j[1]) or '0')
  while got < limit and cursor < total do
    local idx = cursor
    cursor = cursor + 1
    local uq, ut = q, target
    -- Adaptive replication: a trusted host runs the unit alone unless spot-checked (p = 1/cv).
    if j[8] == '1' and cv >= 10 then
      local r = tonumber(ARGV[rnd] or '0')
      rnd = rnd + 1
      if r >= 1 / cv then uq, ut = 1, 1 end
    end
    local uk = k_unit(jid, idx)
    redis.call('HSET', uk, U_STATE, US_OPEN, U_QUORUM, uq, U_REPLICAS, 0, U_NEED, ut - 1, U_REPORTED, 0, U_ERRORS, 0, U_OUT, 0, U_VERSION, 0)
    redis.call('HINCRBY', jk, 'inProgress', 1)
    issue(jid, uk, idx, delayMs)
    if ut > 1 then redis.call('ZADD', k_need(jid), idx, idx) end
  end
  redis.call('HSET', jk, 'cursor', cursor)
  local n = got - before
  if n > 0 then
    if j[2] == 'queued' then redis.call('HSET', jk, 'state', 'running', 'startedAt', now) end
    local pass = redis.call('ZINCRBY', k_sched(), n / tonumber(j[9]), jid)
    redis.call('HSET', jk, 'pass', pass)
  end
  if cursor >= total and redis.call('ZCARD', k_need(jid)) == 0 then
    redis.call('ZREM', k_sched(), jid)
  end
  return n
end

-- Stride scheduling: the job with the lowest pass is served until its pass would overtake the next
-- job's, then the order is read again. Jobs with nothing for this host are skipped for this request.
local skip = {}
while got < count do
  local line = redis.call('ZRANGE', k_sched(), 0, maxJobs - 1, 'WITHSCORES')
  local jid, pass, nextPass
  for i = 1, #line, 2 do
    if not skip[line[i]] then
      if not jid then jid, pass = line[i], tonumber(line[i + 1])
      else nextPass = tonumber(line[i + 1]); break end
    end
  end
  if not jid then break end
  local quota = count - got
  if nextPass then
    local w = tonumber(redis.call('HGET', k_job(jid), 'weightEff') or '1')
    quota = math.min(quota, math.max(1, math.ceil((nextPass - pass) * w)))
  end
  if serve(jid, quota) == 0 then skip[jid] = true end
end
local reason = ''
if got == 0 then
  if not sawJob then reason = 'no_jobs' elseif not sawKind then reason = 'incompatible'
  elseif sawBlocked then reason = 'needs_other_host' else reason = 'all_leased' end
end
out[#out + 1] = reason
return out
