-- Shared helpers, included at the top of every script after the generated prelude (key functions k_*,
-- and the unit hash's layout and shared constants: U_*, R_*, M_*, RS_*, O_*, US_*, from
-- coordinator/store/unit-layout.ts, which documents every field).

local function bump(uk)
  redis.call('HINCRBY', uk, U_VERSION, 1)
end

-- A lease id is <job>.<unit>.<replica> (protocol/common.ts).
local function parse_lease(lid)
  return string.match(lid, '^([^.]+)%.(%d+)%.(%d+)$')
end

-- Put a job back among those with work to hand out, keeping its pass (never ahead of the current field).
local function ensure_sched(jid)
  local jk = k_job(jid)
  local st = redis.call('HGET', jk, 'state')
  if st ~= 'queued' and st ~= 'running' then return end
  if redis.call('ZSCORE', k_sched(), jid) then return end
  local pass = tonumber(redis.call('HGET', jk, 'pass') or '0')
  local first = redis.call('ZRANGE', k_sched(), 0, 0, 'WITHSCORES')
  if first[2] and tonumber(first[2]) > pass then pass = tonumber(first[2]) end
  redis.call('ZADD', k_sched(), pass, jid)
end

local function drop_lease(jid, lid, host)
  redis.call('ZREM', k_leases(), lid)
  redis.call('SREM', k_jobLeases(jid), lid)
  if host then redis.call('SREM', k_hostLeases(host), lid) end
end

-- Grid-wide counters: whole counts by one (HINCRBY is cheaper), amounts (credit, operations) as floats.
local function stat(field, by)
  if by == nil then redis.call('HINCRBY', k_stats(), field, 1)
  else redis.call('HINCRBYFLOAT', k_stats(), field, by) end
end

-- Job settled when every unit is valid or failed; the caller then queues assembly.
local function job_settled(jid)
  local c = redis.call('HMGET', k_job(jid), 'unitsDone', 'unitsFailed', 'unitsTotal')
  return tonumber(c[1] or 0) + tonumber(c[2] or 0) >= tonumber(c[3] or 0)
end

-- The one way a job is marked ready for assembly: its id in `settled` (drained into BullMQ by every
-- coordinator's transitioner). Returns true when the job is settled now.
local function note_settled(jid)
  local st = redis.call('HGET', k_job(jid), 'state')
  if (st == 'queued' or st == 'running') and job_settled(jid) then redis.call('SADD', k_settled(), jid) end
  return redis.call('SISMEMBER', k_settled(), jid) == 1
end

-- A unit failed for good. `code` is a registered error code, `message` says why; kept as
-- {code, message} JSON in the job's `failed` hash.
local function fail_unit(jid, uk, idx, code, message)
  redis.call('HSET', uk, U_STATE, US_FAILED, U_NEED, 0)
  bump(uk)
  redis.call('ZREM', k_need(jid), idx)
  redis.call('HSET', k_failed(jid), idx, cjson.encode({ code = code, message = message }))
  redis.call('HINCRBY', k_job(jid), 'unitsFailed', 1)
  redis.call('HINCRBY', k_job(jid), 'inProgress', -1)
  stat('units_failed')
  note_settled(jid)
end

-- One more replica is wanted; fail the unit instead when BOINC's max_total_results would be passed.
local function want_more(jid, uk, idx, reason)
  local u = redis.call('HMGET', uk, U_REPLICAS, U_NEED, U_OUT, U_STATE)
  if u[4] ~= US_OPEN then return end
  local maxTotal = tonumber(redis.call('HGET', k_job(jid), 'maxTotalResults') or '10')
  local n, need, out = tonumber(u[1] or 0), tonumber(u[2] or 0), tonumber(u[3] or 0)
  if n + need >= maxTotal then
    if out == 0 and need == 0 then fail_unit(jid, uk, idx, 'UNIT_ERROR', reason .. '; too many total results') end
    return
  end
  redis.call('HINCRBY', uk, U_NEED, 1)
  bump(uk)
  redis.call('ZADD', k_need(jid), idx, idx)
  ensure_sched(jid)
end

-- A host's record per UTC day, for its history on the dashboard.
local function host_day(host, what, by, now)
  redis.call('HINCRBYFLOAT', k_hostDaily(host), what .. ':' .. math.floor(now / 86400000), by)
end

local function reset_trust(host, kind)
  redis.call('HSET', k_host(host), 'cv:' .. kind, 0)
end

-- Decayed credit sum: E <- E * 2^(-dt/H) + credit. Recent average credit per day = E * ln2 / H(days).
local function add_credit(key, zkey, member, credit, now)
  local h = redis.call('HMGET', key, 'racE', 'racT')
  local e, t = tonumber(h[1] or 0), tonumber(h[2] or now)
  e = e * math.pow(2, -(now - t) / CREDIT_HALF_LIFE_MS) + credit
  redis.call('HSET', key, 'racE', tostring(e), 'racT', now)
  redis.call('HINCRBYFLOAT', key, 'credit', credit)
  redis.call('ZINCRBY', zkey, credit, member)
end

local function grant(host, acct, credit, now)
  add_credit(k_host(host), k_creditHosts(), host, credit, now)
  host_day(host, 'c', credit, now)
  if acct and acct ~= '' then
    add_credit(k_account(acct), k_creditAccounts(), acct, credit, now)
    local team = redis.call('HGET', k_account(acct), 'team')
    if team and team ~= '' then add_credit(k_team(team), k_creditTeams(), team, credit, now) end
  end
  stat('credit', credit)
end

-- A replica comes back without a result: no reply by its deadline (RS_NO_REPLY) or handed back
-- (RS_RELEASED). Returns true when the replica was still out.
local function replica_gone(lid, newState, reason)
  local jid, idx, r = parse_lease(lid)
  if not jid then redis.call('ZREM', k_leases(), lid); return false end
  local uk = k_unit(jid, idx)
  local host = redis.call('HGET', uk, R_HOST .. r)
  drop_lease(jid, lid, host)
  if redis.call('HGET', uk, R_STATE .. r) ~= RS_LEASED then return false end
  redis.call('HSET', uk, R_STATE .. r, newState)
  redis.call('HINCRBY', uk, U_OUT, -1)
  bump(uk)
  if newState == RS_RELEASED then
    -- A hand-back produced no result, so the unit may come back to this host (and account) later:
    -- otherwise a unit every current host handed back would wait forever for a new one.
    local t = redis.call('TIME')
    local acct = redis.call('HGET', uk, R_ACCOUNT .. r)
    redis.call('HDEL', uk, M_HOST .. host)
    if acct and acct ~= '' then redis.call('HDEL', uk, M_ACCOUNT .. acct) end
    redis.call('HSET', uk, M_HANDED_BACK .. host, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
  end
  if newState == RS_NO_REPLY then
    reset_trust(host, redis.call('HGET', k_job(jid), 'kind'))
    redis.call('HINCRBY', k_host(host), 'nTimeout', 1)
    stat('results_timeout')
  end
  want_more(jid, uk, idx, reason)
  return true
end
