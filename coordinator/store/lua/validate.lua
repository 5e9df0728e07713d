-- Apply the validator's decisions for a batch of units, each only if its unit has not changed since the
-- validator read it.
-- ARGV: prefix, nowMs, n, then n groups of: jobId, unit, version, count, action, ... (count = the number of
-- values from action on)
--   action 'valid': canonReplica, credit, items, ops, decisive ('1' ends the job early), then replica, outcome ('V'|'I'), ...
--   action 'late' : credit, ops, then replica, outcome, ...   (results that came after validation)
--   action 'more' : reason, credit, ops, then replica, 'I', ... (no agreement yet: one more replica;
--                   results that failed their own checks are marked invalid at once)
--   action 'fail' : reason, credit, ops, then replica, 'I', ...
-- Reads/writes: job:{job}:u:{unit}, job:{job}, job:{job}:canon, job:{job}:failed, need, sched,
-- validate, host:{host} (trust, quota, proven results), host:{host}:vouched, account:{account} (credit,
-- quota), team:{team}, hosts:unproven, credit:*, stats.
-- Returns one reply per unit, in order: 'stale' (re-read and decide again) | 'ok' | 'settled' (the job is
-- ready for assembly: every unit is done, or a decisive result arrived; the job id is also in `settled`
-- for crash safety) | 'error: <message>' (a fault in this script, for the log: what the unit's decision
-- had written before it stays, and so do the other units' decisions and the sums of their valid results).
--
-- Why a batch: what valid results add to their host, account and team (credit, decayed credit,
-- leaderboards, daily history, counters, trust, quotas, the proven count, the vouched set) and to the
-- grid statistics is summed over the batch and written once per host, account and kind, not once per
-- result (docs/scaling.md, "What limits a single Redis"). Every sum is written before an invalid
-- outcome is applied, so that quotas, trust and proven counts change in the same order as result by
-- result: a batch gives each host exactly what its results would have one at a time.
local now, n = tonumber(ARGV[2]), tonumber(ARGV[3])

-- Valid results not yet written, per host, account and kind (the grid's sums are theirs added up).
local pending, order = {}, {}

local function add_valid(host, acct, kind, credit, ops, member, trusted)
  local key = host .. '\0' .. (acct or '') .. '\0' .. kind
  local p = pending[key]
  if not p then
    p = { host = host, acct = acct, kind = kind, credit = 0, ops = 0, n = 0, trust = 0, vouched = {} }
    pending[key] = p
    order[#order + 1] = p
  end
  p.credit = p.credit + credit
  p.ops = p.ops + ops
  p.n = p.n + 1
  if trusted then p.trust = p.trust + 1 end
  if member then
    p.vouched[#p.vouched + 1] = now
    p.vouched[#p.vouched + 1] = member
  end
end

local function flush()
  local valid, ops = 0, 0
  for _, p in ipairs(order) do
    valid, ops = valid + p.n, ops + p.ops
    local hk = k_host(p.host)
    grant(p.host, p.acct, p.credit, now)
    redis.call('HINCRBY', hk, 'nValid', p.n)
    host_day(p.host, 'v', p.n, now)
    if p.trust > 0 then redis.call('HINCRBY', hk, 'cv:' .. p.kind, p.trust) end
    quota_valid(p.host, p.acct, p.kind, p.n)
    if #p.vouched > 0 then
      redis.call('ZADD', k_hostVouched(p.host), unpack(p.vouched))
      redis.call('ZREMRANGEBYSCORE', k_hostVouched(p.host), '-inf', now - VOUCHED_MS)
    end
  end
  if valid > 0 then
    redis.call('HINCRBY', k_stats(), 'results_valid', valid)
    stat('ops_valid', ops)
  end
  pending, order = {}, {}
end

local function validate_one(jid, idx, v, a)
  local action = a[1]
  local jk, uk = k_job(jid), k_unit(jid, idx)
  if redis.call('HGET', uk, U_VERSION) ~= v then return 'stale' end
  redis.call('ZREM', k_validate(), jid .. '.' .. idx)
  local kind = redis.call('HGET', jk, 'kind')
  local st = redis.call('HGET', uk, U_STATE)

  local function outcomes(from, credit, ops)
    for i = from, #a, 2 do
      local r, o = a[i], a[i + 1]
      local f = redis.call('HMGET', uk, R_OUTCOME .. r, R_HOST .. r, R_ACCOUNT .. r, R_AUDIT .. r, R_TRUST .. r)
      if not f[1] then
        redis.call('HSET', uk, R_OUTCOME .. r, o)
        local host, acct = f[2], f[3]
        if o == O_VALID then
          -- Remembered for a week, so that results of a host caught lying later can be reopened (reopen.lua).
          -- A result whose every block the verifier recomputed is proven, not vouched for: a later catch of
          -- its host says nothing about it, and reopening it would only throw away good work.
          local member = f[4] ~= AU_WHOLE and (jid .. '.' .. idx .. '.' .. r) or nil
          -- Trust grows only by results that arrived since the host's last reset (lib.lua, reset_trust);
          -- a reset writes everything pending first, so the epoch read now is the one they count in.
          local epoch = string.match(f[5] or '', '^(%d+):')
          local trusted = not epoch or epoch == (redis.call('HGET', k_host(host), 'ce:' .. kind) or '0')
          add_valid(host, acct, kind, credit, ops, member, trusted)
        else
          flush()
          redis.call('HINCRBY', k_host(host), 'nInvalid', 1)
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
    local canon, credit, items, ops = a[2], tonumber(a[3]), tonumber(a[4]), tonumber(a[5])
    redis.call('HSET', uk, U_STATE, US_VALID, U_CANON, canon, U_NEED, 0, U_CREDIT, credit, U_ITEMS, items, U_OPS, ops)
    redis.call('HSET', k_canon(jid), idx, redis.call('HGET', uk, R_RESULT .. canon))
    redis.call('ZREM', k_need(jid), idx)
    redis.call('HINCRBY', jk, 'unitsDone', 1)
    redis.call('HINCRBY', jk, 'inProgress', -1)
    redis.call('HINCRBYFLOAT', jk, 'itemsDone', items)
    redis.call('HINCRBYFLOAT', jk, 'opsDone', ops)
    stat('units_valid')
    outcomes(7, credit, ops)
    if a[6] == '1' then
      redis.call('HSET', jk, 'decisive', 1)
      redis.call('SADD', k_settled(), jid)
    end
  elseif action == 'late' then
    outcomes(4, tonumber(a[2]), tonumber(a[3]))
    return 'ok'
  elseif action == 'more' then
    if st ~= US_OPEN then return 'stale' end
    outcomes(5, tonumber(a[3]), tonumber(a[4]))
    want_more(jid, uk, idx, a[2])
  elseif action == 'fail' then
    if st ~= US_OPEN then return 'stale' end
    outcomes(5, tonumber(a[3]), tonumber(a[4]))
    fail_unit(jid, uk, idx, 'UNIT_ERROR', a[2])
  else
    return 'error: unknown action ' .. tostring(action)
  end
  if note_settled(jid) then return 'settled' end
  return 'ok'
end

local replies, at = {}, 4
for _ = 1, n do
  local jid, idx, v, count = ARGV[at], ARGV[at + 1], ARGV[at + 2], tonumber(ARGV[at + 3])
  local a = {}
  for k = 1, count do a[k] = ARGV[at + 3 + k] end
  at = at + 4 + count
  -- A fault in one unit's decision must not cost the others theirs, nor the sums gathered so far.
  local ok, res = pcall(validate_one, jid, idx, v, a)
  replies[#replies + 1] = ok and res or ('error: ' .. tostring(type(res) == 'table' and res.err or res))
end
flush()
return replies
