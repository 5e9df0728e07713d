-- Lease replicas to hosts: one call serves the requests of several hosts in turn, which a coordinator
-- gathers while its previous call runs (coordinator/dispatch.ts, group-commit.ts), since a call costs
-- Redis far more before its first replica than per replica (docs/scaling.md). Each request is served as
-- a call of its own would serve it, in the order given.
-- Per request: per job, replicas that units still need first (reissues, second copies), then fresh units
-- cut lazily from the job's cursor. Jobs are served lowest pass first and each lease advances the job's
-- pass by 1/weight (stride scheduling), so no job starves.
-- Replicas of a unit never share a host, an account or a network (IPv4 /24, IPv6 /48; loopback is
-- exempt and passed as ''). A host gets no more than its allowance in hand and its daily quota per kind,
-- and an account no more than its daily quota (lib.lua: host_allowance, quota_left).
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: nowMs, maxJobs, leasesPerThread, newHostLeases, n, then per request: hostId, account ('' if
-- anonymous), count, kinds (",a,b,"), network ('' if exempt), threads (declared), k, then k random
-- numbers in [0, 1) for adaptive replication's spot checks (count of them; a missing one reads as 0, a
-- spot check)
-- Reads/writes: sched, job:{job}, job:{job}:need, job:{job}:u:{unit}, leases, job:{job}:leases,
-- host:{host}:leases, host:{host} and account:{account} (daily quota); reads host:{host} (trust per kind,
-- proven results).
-- Returns per request, in order, a list: jobId, unit, replica, deadlineMs, ... then a reason code ('' when
-- some were leased; else no_jobs | incompatible | quota (the host's allowance in hand or a daily quota is
-- used up) | needs_other_host (what is left needs a host, account or network other than this one) |
-- all_leased (every unit is out with hosts or waiting for validation)), and last the quota's details as
-- JSON ('' unless the reason is quota).
local now, maxJobs, perThread, startLeases, nReq = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local newLeases = lease_batches(true)

-- One host's request; its random numbers are ARGV[rnd..lastRnd].
local function lease_one(host, acct, count, kinds, net, threads, rnd, lastRnd)
  local out, got = {}, 0
  local sawJob, sawKind, sawBlocked = false, false, false
  -- Which limit stopped this request, for the no_work message.
  local quotaHit = nil

  -- Units in hand first: a host over its allowance gets nothing, whatever jobs are waiting. What this call
  -- gave the host already counts (the indexes are written at its end).
  local inHand = redis.call('SCARD', k_hostLeases(host)) + newLeases.held(host)
  local allowance = host_allowance(host, threads, perThread, startLeases, now)
  if inHand >= allowance then
    return { 'quota', cjson.encode({ limit = 'held', held = inHand, allowance = allowance }) }
  end
  count = math.min(count, allowance - inHand)

  -- Leases of `kind` this host (and its account) may still have today.
  local function daily_room(kind)
    local left, q, used = quota_left(k_host(host), kind, host_quota_base(threads), now)
    local who = 'host'
    if acct ~= '' then
      local aleft, aq, aused = quota_left(k_account(acct), kind, ACCOUNT_QUOTA_BASE, now)
      if aleft < left then left, q, used, who = aleft, aq, aused, 'account' end
    end
    if left <= 0 then quotaHit = { limit = 'day', who = who, kind = kind, quota = q, used = used, day = math.floor(now / DAY_MS) } end
    return left
  end

  local function daily_use(kind, n)
    quota_use(k_host(host), kind, host_quota_base(threads), n, now)
    if acct ~= '' then quota_use(k_account(acct), kind, ACCOUNT_QUOTA_BASE, n, now) end
  end

  -- The host's (account's, network's) marks on a unit, named once per request.
  local mHost, mAcct, mNet = M_HOST .. host, M_ACCOUNT .. acct, M_NETWORK .. net

  -- A replica's fields and the marks, then the unit's own fields in `unit`, for one HSET; `r` and
  -- `deadline` are strings (lib.lua, int).
  local function replica_fields(r, deadline, unit)
    local f = { R_HOST .. r, host, R_ACCOUNT .. r, acct, R_NETWORK .. r, net, R_STATE .. r, RS_LEASED, R_DEADLINE .. r, deadline, mHost, r }
    if acct ~= '' then f[#f + 1] = mAcct; f[#f + 1] = r end
    if net ~= '' then f[#f + 1] = mNet; f[#f + 1] = r end
    for _, v in ipairs(unit) do f[#f + 1] = v end
    return f
  end

  -- What the reply and the lease indexes get of a new replica (all strings).
  local function issued(jid, idx, r, deadline)
    local lid = jid .. '.' .. idx .. '.' .. r
    newLeases.add(host, jid, lid, deadline)
    out[#out + 1] = jid; out[#out + 1] = idx; out[#out + 1] = r; out[#out + 1] = deadline
    got = got + 1
  end

  -- A fresh unit with its first replica: every field but the quorum and the replicas still wanted is the
  -- same for all the units one request cuts from a job, so the list is built once per job.
  local function fresh_fields(deadline, quorum, need)
    return replica_fields('0', deadline, { U_STATE, US_OPEN, U_QUORUM, quorum, U_REPLICAS, '1', U_NEED, need, U_REPORTED, '0', U_ERRORS, '0', U_OUT, '1', U_VERSION, '1' })
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
    local room = daily_room(j[1])
    if room <= 0 then return 0 end
    local before, limit = got, got + math.min(quota, room)
    local deadline = int(now + tonumber(j[7]))
    -- 1) replicas that open units still need, never to a host (or account, or network) that has one already
    local needs = redis.call('ZRANGE', k_need(jid), 0, 199)
    -- One read of what decides whether this host may have one (its, its account's and its network's marks,
    -- its hand-back) and of the counts the new replica changes; one write of the replica and the counts.
    local gone = {}
    for _, idx in ipairs(needs) do
      if got >= limit then break end
      local uk = k_unit(jid, idx)
      local u = redis.call('HMGET', uk, M_HANDED_BACK .. host, mHost, mAcct, mNet, U_REPLICAS, U_OUT, U_NEED, U_VERSION)
      if not u[2] and (acct == '' or not u[3]) and (net == '' or not u[4])
        and now - tonumber(u[1] or '0') > HANDBACK_COOLDOWN_MS then
        local r, need = u[5] or '0', tonumber(u[7] or '0') - 1
        redis.call('HSET', uk, unpack(replica_fields(r, deadline,
          { U_REPLICAS, int(r + 1), U_OUT, int((u[6] or 0) + 1), U_NEED, int(need), U_VERSION, int((u[8] or 0) + 1) })))
        issued(jid, idx, r, deadline)
        if need <= 0 then gone[#gone + 1] = idx end
      else
        sawBlocked = true
      end
    end
    if #gone > 0 then redis.call('ZREM', k_need(jid), unpack(gone)) end
    -- 2) fresh units
    local cursor, total = tonumber(j[3]), tonumber(j[4])
    local target = tonumber(j[6])
    local cv = tonumber(redis.call('HGET', k_host(host), 'cv:' .. j[1]) or '0')
    local replicated, solo = fresh_fields(deadline, j[5], int(target - 1)), nil
    local fresh, needs = 0, {}
    while got < limit and cursor < total do
      local idx = int(cursor)
      cursor = cursor + 1
      local f = replicated
      -- Adaptive replication: a trusted host runs the unit alone unless spot-checked (p = 1/cv).
      if j[8] == '1' and cv >= 10 then
        local r = rnd <= lastRnd and tonumber(ARGV[rnd]) or 0
        rnd = rnd + 1
        if r >= 1 / cv then
          solo = solo or fresh_fields(deadline, '1', '0')
          f = solo
        end
      end
      redis.call('HSET', k_unit(jid, idx), unpack(f))
      issued(jid, idx, '0', deadline)
      fresh = fresh + 1
      if f == replicated and target > 1 then
        needs[#needs + 1] = idx
        needs[#needs + 1] = idx
      end
    end
    if fresh > 0 then redis.call('HINCRBY', jk, 'inProgress', fresh) end
    if #needs > 0 then redis.call('ZADD', k_need(jid), unpack(needs)) end
    redis.call('HSET', jk, 'cursor', cursor)
    local n = got - before
    if n > 0 then
      daily_use(j[1], n)
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
  local reason, detail = '', ''
  if got == 0 then
    -- A job leaves sched once its last unit is out; while units are out or being validated, work is
    -- not "none": it is all with other hosts.
    if not sawJob then
      if #newLeases.ids > 0 or redis.call('ZCARD', k_leases()) > 0 or redis.call('ZCARD', k_validate()) > 0 then reason = 'all_leased' else reason = 'no_jobs' end
    elseif not sawKind then reason = 'incompatible'
    elseif quotaHit then reason, detail = 'quota', cjson.encode(quotaHit)
    elseif sawBlocked then reason = 'needs_other_host' else reason = 'all_leased' end
  end
  out[#out + 1] = reason
  out[#out + 1] = detail
  return out
end

local res, a = {}, 6
for i = 1, nReq do
  res[i] = lease_one(ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3], ARGV[a + 4], math.max(1, tonumber(ARGV[a + 5])), a + 7, a + 6 + tonumber(ARGV[a + 6]))
  a = a + 7 + tonumber(ARGV[a + 6])
end
newLeases.write()
return res
