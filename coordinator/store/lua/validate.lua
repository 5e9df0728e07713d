-- Apply the validator's decisions for a batch of units, each only if its unit has not changed since the
-- validator read it.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: nowMs, n, then n groups of: jobId, unit, version, count, action, ... (count = the number of
-- values from action on)
--   action 'valid': canonReplica, credit, items, ops, decisive ('1' ends the job early), then replica, outcome ('V'|'I'), ...
--   action 'late' : credit, ops, then replica, outcome, ...   (results that came after validation)
--   action 'more' : reason, credit, ops, then replica, 'I', ... (no agreement yet: one more replica;
--                   results that failed their own checks are marked invalid at once)
--   action 'fail' : reason, credit, ops, then replica, 'I', ...
-- Reads/writes: job:{job}:u:{unit}, job:{job}, job:{job}:canon, job:{job}:failed, need, sched,
-- validate, host:{host} (trust, quota, proven results), host:{host}:daily (invalid results),
-- host:{host}:vouchedjobs, job:{job}:vouched:{host}, job:{job}:vouchers, account:{account} (quota),
-- hosts:unproven, credit:pending (the credit granted, for apply-credit.lua), stats.
-- Returns one reply per unit, in order: 'stale' (re-read and decide again) | 'ok' | 'settled' (the job is
-- ready for assembly: every unit is done, or a decisive result arrived; the job id is also in `settled`
-- for crash safety) | 'error: <message>' (a fault in this script, for the log: what the unit's decision
-- had written before it stays, and so do the other units' decisions and the sums of their valid results).
--
-- Why a batch: what valid results add to their host, account and kind (counters, trust, quotas, the
-- proven count, the vouched set, the credit granted) and to the grid statistics is summed over the batch
-- and written once per host, account and kind, not once per result (docs/scaling.md, "What limits a
-- single Redis"). The credit is only queued here: apply-credit.lua adds it to the totals (credit, decayed
-- credit, leaderboards, daily record) for many calls at once. Every sum is written before an invalid
-- outcome is applied, so that quotas, trust and proven counts change in the same order as result by
-- result: a batch gives each host exactly what its results would have one at a time.
local now, n = tonumber(ARGV[1]), tonumber(ARGV[2])

-- Valid results not yet written, per host, account and kind (the grid's sums are theirs added up).
local pending, order = {}, {}

-- `jid` is given for a result the host vouches for (not recomputed whole): its unit number `idx` goes
-- into the host's set for that job.
local function add_valid(host, acct, kind, credit, ops, jid, idx, trusted)
  local key = host .. '\0' .. (acct or '') .. '\0' .. kind
  local p = pending[key]
  if not p then
    p = { host = host, acct = acct, kind = kind, credit = 0, ops = 0, n = 0, trust = 0, vouched = {}, vjobs = {} }
    pending[key] = p
    order[#order + 1] = p
  end
  p.credit = p.credit + credit
  p.ops = p.ops + ops
  p.n = p.n + 1
  if trusted then p.trust = p.trust + 1 end
  if jid then group_add(p.vouched, p.vjobs, jid, idx) end
end

-- Credit granted in this call, one entry per host and account, queued at the end for apply-credit.lua.
local grants = {}

local function flush()
  local valid, ops = 0, 0
  for _, p in ipairs(order) do
    valid, ops = valid + p.n, ops + p.ops
    local hk = k_host(p.host)
    grants[#grants + 1] = credit_entry(p.host, p.acct, p.credit, p.n, now)
    redis.call('HINCRBY', hk, 'nValid', p.n)
    if p.trust > 0 then redis.call('HINCRBY', hk, 'cv:' .. p.kind, p.trust) end
    quota_valid(p.host, p.acct, p.kind, p.n)
    -- Unit numbers are integers, so each job's set is an intset: far cheaper to add to than the sorted
    -- set of "job.unit.replica" strings scored by time that this was (6-9 µs per unit; docs/scaling.md).
    for _, jid in ipairs(p.vjobs) do
      redis.call('SADD', k_jobVouched(jid, p.host), unpack(p.vouched[jid]))
      redis.call('SADD', k_jobVouchers(jid), p.host)
      redis.call('SADD', k_hostVouchedJobs(p.host), jid)
    end
  end
  if valid > 0 then
    redis.call('HINCRBY', k_stats(), 'results_valid', valid)
    stat('ops_valid', ops)
  end
  pending, order = {}, {}
end

-- Per job, written once per call: what units that became valid add to its counters, their canonical
-- results and their removal from `need`; the job's kind is read once. A job touched by a decision is
-- checked for settlement at the end, once.
local jobs, jobOrder = {}, {}
local function job_of(jid)
  local j = jobs[jid]
  if not j then
    local f = redis.call('HMGET', k_job(jid), 'kind', 'state')
    -- Only a running job's results are ever reopened (reopen.lua), so only there is a vouched result kept.
    j = { kind = f[1], live = f[2] == 'queued' or f[2] == 'running', done = 0, items = 0, ops = 0, canon = {}, need = {}, decided = false }
    jobs[jid] = j
    jobOrder[#jobOrder + 1] = jid
  end
  return j
end
-- A host's trust epoch per kind, read once per call; a reset here (an invalid result) forgets it.
local epochs = {}
local function epoch_of(host, kind)
  local key = host .. '\0' .. kind
  if epochs[key] == nil then epochs[key] = redis.call('HGET', k_host(host), 'ce:' .. kind) or '0' end
  return epochs[key]
end
local unqueue = {}

-- Where each action's replica list starts in its arguments (see the header).
local OUTCOMES_FROM = { valid = 7, late = 4, more = 5, fail = 5 }

-- One unit: a single HMGET reads its version, state, the canonical result and every listed replica's
-- fields; a single HSET writes its new state, the outcomes and the next version.
local function validate_one(jid, idx, v, a)
  local action = a[1]
  local from = OUTCOMES_FROM[action]
  if not from then return 'error: unknown action ' .. tostring(action) end
  local uk = k_unit(jid, idx)
  local fields = { U_VERSION, U_STATE, R_RESULT .. (action == 'valid' and a[2] or '') }
  for i = from, #a, 2 do
    local r = a[i]
    for _, f in ipairs({ R_OUTCOME, R_HOST, R_ACCOUNT, R_AUDIT, R_TRUST }) do fields[#fields + 1] = f .. r end
  end
  local u = redis.call('HMGET', uk, unpack(fields))
  if u[1] ~= v then return 'stale' end
  if action == 'valid' and not u[3] then return 'error: replica ' .. a[2] .. ' of unit ' .. idx .. ' has no result to be canonical' end
  unqueue[#unqueue + 1] = jid .. '.' .. idx
  if action ~= 'late' and u[2] ~= US_OPEN then return 'stale' end
  local j = job_of(jid)
  local kind = j.kind
  local w = { U_VERSION, int(v + 1) }
  local credit, ops
  if action == 'valid' then
    credit, ops = tonumber(a[3]), tonumber(a[5])
    -- The decision's own strings are written, not numbers converted back (lib.lua, int).
    for _, x in ipairs({ U_STATE, US_VALID, U_CANON, a[2], U_NEED, '0', U_CREDIT, a[3], U_ITEMS, a[4], U_OPS, a[5] }) do w[#w + 1] = x end
  elseif action == 'late' then
    credit, ops = tonumber(a[2]), tonumber(a[3])
  else
    credit, ops = tonumber(a[3]), tonumber(a[4])
  end

  for i = from, #a, 2 do
    local r, o = a[i], a[i + 1]
    local at = 4 + ((i - from) / 2) * 5
    if not u[at] then
      w[#w + 1] = R_OUTCOME .. r
      w[#w + 1] = o
      local host, acct = u[at + 1], u[at + 2]
      if o == O_VALID then
        -- Remembered while the job runs, so that results of a host caught lying later can be reopened (reopen.lua).
        -- A result whose every block the verifier recomputed is proven, not vouched for: a later catch of
        -- its host says nothing about it, and reopening it would only throw away good work.
        local vouched = u[at + 3] ~= AU_WHOLE
        -- Trust grows only by results that arrived since the host's last reset (lib.lua, reset_trust);
        -- a reset writes everything pending first, so the epoch read now is the one they count in.
        local epoch = string.match(u[at + 4] or '', '^(%d+):')
        add_valid(host, acct, kind, credit, ops, (vouched and j.live) and jid or nil, idx, not epoch or epoch == epoch_of(host, kind))
      else
        flush()
        redis.call('HINCRBY', k_host(host), 'nInvalid', 1)
        host_day(host, 'i', 1, now)
        reset_trust(host, kind)
        epochs[host .. '\0' .. kind] = nil
        quota_invalid(host, acct, kind)
        stat('results_invalid')
      end
    end
  end
  redis.call('HSET', uk, unpack(w))

  if action == 'valid' then
    -- Counted for the job only once the unit says valid: a fault above leaves neither.
    j.canon[#j.canon + 1] = idx
    j.canon[#j.canon + 1] = u[3]
    j.need[#j.need + 1] = idx
    j.done, j.items, j.ops = j.done + 1, j.items + tonumber(a[4]), j.ops + ops
    if a[6] == '1' then
      redis.call('HSET', k_job(jid), 'decisive', 1)
      redis.call('SADD', k_settled(), jid)
    end
  elseif action == 'late' then
    return 'ok'
  elseif action == 'more' then
    want_more(jid, uk, idx, a[2])
  else
    fail_unit(jid, uk, idx, 'UNIT_ERROR', a[2])
  end
  -- 'ok' or 'settled' once every job's counters are written (write_jobs): the job stands in for the reply.
  j.decided = true
  return j
end

local function write_jobs(replies)
  local unitsValid = 0
  for _, jid in ipairs(jobOrder) do
    local j, jk = jobs[jid], k_job(jid)
    if j.done > 0 then
      unitsValid = unitsValid + j.done
      redis.call('HINCRBY', jk, 'unitsDone', j.done)
      redis.call('HINCRBY', jk, 'inProgress', -j.done)
      redis.call('HINCRBYFLOAT', jk, 'itemsDone', j.items)
      redis.call('HINCRBYFLOAT', jk, 'opsDone', j.ops)
      redis.call('HSET', k_canon(jid), unpack(j.canon))
      redis.call('ZREM', k_need(jid), unpack(j.need))
    end
    if j.decided then
      local state = note_settled(jid) and 'settled' or 'ok'
      for i, reply in ipairs(replies) do
        if reply == j then replies[i] = state end
      end
    end
  end
  if #unqueue > 0 then redis.call('ZREM', k_validate(), unpack(unqueue)) end
  if unitsValid > 0 then redis.call('HINCRBY', k_stats(), 'units_valid', unitsValid) end
end

local replies, at = {}, 3
for _ = 1, n do
  local jid, idx, v, count = ARGV[at], ARGV[at + 1], ARGV[at + 2], tonumber(ARGV[at + 3])
  local a = {}
  for k = 1, count do a[k] = ARGV[at + 3 + k] end
  at = at + 4 + count
  -- A fault in one unit's decision must not cost the others theirs, nor the sums gathered so far.
  local ok, res = pcall(validate_one, jid, idx, v, a)
  replies[#replies + 1] = ok and res or ('error: ' .. tostring(type(res) == 'table' and res.err or res))
end
write_jobs(replies)
flush()
if #grants > 0 then redis.call('RPUSH', k_creditPending(), unpack(grants)) end
return replies
