-- Apply the validator's decision for one unit, if the unit has not changed since the validator read it.
-- ARGV: prefix, jobId, unit, version, nowMs, action, ...
--   action 'valid': canonReplica, credit, items, ops, decisive ('1' ends the job early), then replica, outcome ('V'|'I'), ...
--   action 'late' : credit, ops, then replica, outcome, ...   (results that came after validation)
--   action 'more' : reason, credit, ops, then replica, 'I', ... (no agreement yet: one more replica;
--                   results that failed their own checks are marked invalid at once)
--   action 'fail' : reason, credit, ops, then replica, 'I', ...
-- Reads/writes: job:{job}:u:{unit}, job:{job}, job:{job}:canon, job:{job}:failed, need, sched,
-- validate, host:{host} (trust, quota, proven results), host:{host}:vouched, account:{account} (credit,
-- quota), team:{team}, hosts:unproven, credit:*, stats.
-- Returns: 'stale' (re-read and decide again) | 'ok' | 'settled' (the job is ready for assembly: every
-- unit is done, or a decisive result arrived; the job id is also in `settled` for crash safety).
local jid, idx, v, now, action = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]
local jk, uk = k_job(jid), k_unit(jid, idx)
if redis.call('HGET', uk, U_VERSION) ~= v then return 'stale' end
redis.call('ZREM', k_validate(), jid .. '.' .. idx)
local kind = redis.call('HGET', jk, 'kind')
local st = redis.call('HGET', uk, U_STATE)

local function outcomes(from, credit, ops)
  for i = from, #ARGV, 2 do
    local r, o = ARGV[i], ARGV[i + 1]
    if not redis.call('HGET', uk, R_OUTCOME .. r) then
      redis.call('HSET', uk, R_OUTCOME .. r, o)
      local host, acct = redis.call('HGET', uk, R_HOST .. r), redis.call('HGET', uk, R_ACCOUNT .. r)
      local hk = k_host(host)
      if o == O_VALID then
        grant(host, acct, credit, now)
        -- Remembered for a week, so that results of a host caught lying later can be reopened (reopen.lua).
        -- A result whose every block the verifier recomputed is proven, not vouched for: a later catch of
        -- its host says nothing about it, and reopening it would only throw away good work.
        if redis.call('HGET', uk, R_AUDIT .. r) ~= AU_WHOLE then
          redis.call('ZADD', k_hostVouched(host), now, jid .. '.' .. idx .. '.' .. r)
          redis.call('ZREMRANGEBYSCORE', k_hostVouched(host), '-inf', now - VOUCHED_MS)
        end
        redis.call('HINCRBY', hk, 'nValid', 1)
        host_day(host, 'v', 1, now)
        -- Trust grows only by results that arrived since the host's last reset (lib.lua, reset_trust).
        local epoch = string.match(redis.call('HGET', uk, R_TRUST .. r) or '', '^(%d+):')
        if not epoch or epoch == (redis.call('HGET', hk, 'ce:' .. kind) or '0') then redis.call('HINCRBY', hk, 'cv:' .. kind, 1) end
        quota_valid(host, acct, kind)
        stat('results_valid')
        stat('ops_valid', ops)
      else
        redis.call('HINCRBY', hk, 'nInvalid', 1)
        host_day(host, 'i', 1, now)
        reset_trust(host, kind)
        quota_invalid(host, acct, kind)
        stat('results_invalid')
      end
    end
  end
  bump(uk)
end

if action == 'valid' then
  if st ~= US_OPEN then return 'stale' end
  local canon, credit, items, ops = ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
  redis.call('HSET', uk, U_STATE, US_VALID, U_CANON, canon, U_NEED, 0, U_CREDIT, credit, U_ITEMS, items, U_OPS, ops)
  redis.call('HSET', k_canon(jid), idx, redis.call('HGET', uk, R_RESULT .. canon))
  redis.call('ZREM', k_need(jid), idx)
  redis.call('HINCRBY', jk, 'unitsDone', 1)
  redis.call('HINCRBY', jk, 'inProgress', -1)
  redis.call('HINCRBYFLOAT', jk, 'itemsDone', items)
  redis.call('HINCRBYFLOAT', jk, 'opsDone', ops)
  stat('units_valid')
  outcomes(12, credit, ops)
  if ARGV[11] == '1' then
    redis.call('HSET', jk, 'decisive', 1)
    redis.call('SADD', k_settled(), jid)
  end
elseif action == 'late' then
  outcomes(9, tonumber(ARGV[7]), tonumber(ARGV[8]))
  return 'ok'
elseif action == 'more' then
  if st ~= US_OPEN then return 'stale' end
  outcomes(10, tonumber(ARGV[8]), tonumber(ARGV[9]))
  want_more(jid, uk, idx, ARGV[7])
elseif action == 'fail' then
  if st ~= US_OPEN then return 'stale' end
  outcomes(10, tonumber(ARGV[8]), tonumber(ARGV[9]))
  fail_unit(jid, uk, idx, 'UNIT_ERROR', ARGV[7])
end
if note_settled(jid) then return 'settled' end
return 'ok'
