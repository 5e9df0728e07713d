-- Shared helpers, included at the top of every script after the generated prelude (key functions k_*,
-- and the unit hash's layout and shared constants: U_*, R_*, M_*, HF_*, RS_*, O_*, US_*, from
-- coordinator/store/unit-layout.ts, which documents every field).

-- The server's clock in epoch ms, for helpers that are not handed a time.
local function clock_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- An integer as the string Redis would store. Lua 5.1 turns a number into a string with sprintf("%.14g"),
-- in every concatenation and every redis.call argument, at about a microsecond each here (tostring is
-- slower than this): the hot scripts keep what they pass along as the strings they were given, and
-- convert the rest once, with this.
local function int(x)
  return string.format('%d', x)
end

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

-- Append `v` to the list `groups[key]`, noting a key seen for the first time in `order`, so that the
-- lists are written once each, in the order their keys first came.
local function group_add(groups, order, key, v)
  local list = groups[key]
  if not list then
    list = {}
    groups[key] = list
    order[#order + 1] = key
  end
  list[#list + 1] = v
end

-- Lease ids that one call adds (lease.lua, with their deadlines) or drops (report.lua), gathered over
-- every host and job of the call, so that each lease index is written once per call: the grid's
-- `leases` once, each host's set once and each job's set once. ZADD, ZREM, SADD and SREM take many
-- members, and nothing in those scripts reads the indexes back (lease.lua counts what a host was given
-- earlier in the same call with `held`).
local function lease_batches(adding)
  local b = { ids = {}, deadlines = {}, byHost = {}, hosts = {}, byJob = {}, jobs = {} }
  function b.add(host, jid, lid, deadline)
    b.ids[#b.ids + 1] = lid
    if adding then
      b.deadlines[#b.deadlines + 1] = deadline
      b.deadlines[#b.deadlines + 1] = lid
    end
    group_add(b.byHost, b.hosts, host, lid)
    group_add(b.byJob, b.jobs, jid, lid)
  end
  function b.held(host)
    local list = b.byHost[host]
    return list and #list or 0
  end
  function b.write()
    if #b.ids == 0 then return end
    if adding then redis.call('ZADD', k_leases(), unpack(b.deadlines)) else redis.call('ZREM', k_leases(), unpack(b.ids)) end
    local set = adding and 'SADD' or 'SREM'
    for _, host in ipairs(b.hosts) do redis.call(set, k_hostLeases(host), unpack(b.byHost[host])) end
    for _, jid in ipairs(b.jobs) do redis.call(set, k_jobLeases(jid), unpack(b.byJob[jid])) end
  end
  return b
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
  redis.call('HINCRBYFLOAT', k_hostDaily(host), what .. ':' .. math.floor(now / DAY_MS), by)
end

-- A host's trust in a kind is its count of consecutive valid results (cv:<kind>) within an epoch
-- (ce:<kind>) that every reset starts anew. A result records both when it arrives (trust_mark, R_TRUST):
-- it adds to the count only if no reset came between its arrival and its validation (validate.lua), and
-- the verifier audits it as the host stood when it arrived. So results sent before a host was caught
-- cannot give it its trust back, and a batch sent on probation is audited in full however many of it
-- validate first.
local function reset_trust(host, kind)
  redis.call('HSET', k_host(host), 'cv:' .. kind, 0)
  redis.call('HINCRBY', k_host(host), 'ce:' .. kind, 1)
end

local function trust_mark(host, kind)
  local t = redis.call('HMGET', k_host(host), 'ce:' .. kind, 'cv:' .. kind)
  return (t[1] or '0') .. ':' .. (t[2] or '0')
end

-- Decayed credit sum: E <- E * 2^(-dt/H) + credit. Recent average credit per day = E * ln2 / H(days).
-- `rac` is what the credit adds to E as of `now` (itself, unless it was granted earlier: apply-credit.lua).
local function add_credit(key, zkey, member, credit, rac, now)
  local h = redis.call('HMGET', key, 'racE', 'racT')
  local e, t = tonumber(h[1] or 0), tonumber(h[2] or now)
  e = e * math.pow(2, -(now - t) / CREDIT_HALF_LIFE_MS) + rac
  redis.call('HSET', key, 'racE', tostring(e), 'racT', now)
  redis.call('HINCRBYFLOAT', key, 'credit', credit)
  redis.call('ZINCRBY', zkey, credit, member)
end

-- Credit added to the totals at once (reopen.lua takes credit back this way); validate.lua queues its
-- grants instead (credit_entry), for apply-credit.lua.
local function grant(host, acct, credit, now)
  add_credit(k_host(host), k_creditHosts(), host, credit, credit, now)
  host_day(host, 'c', credit, now)
  if acct and acct ~= '' then
    add_credit(k_account(acct), k_creditAccounts(), acct, credit, credit, now)
    local team = redis.call('HGET', k_account(acct), 'team')
    if team and team ~= '' then add_credit(k_team(team), k_creditTeams(), team, credit, credit, now) end
  end
  stat('credit', credit)
end

-- One entry of `credit:pending` (keys.ts): `valid` results of a host (and account) granted `credit` at
-- `now`. %.17g keeps every bit of the credit, which Lua's own conversion (%.14g) would not.
local function credit_entry(host, acct, credit, valid, now)
  return host .. '\t' .. (acct or '') .. '\t' .. string.format('%.17g', credit) .. '\t' .. int(valid) .. '\t' .. int(now)
end

-- ---- A host's standing: what it has proved, and its daily quotas (docs/security.md, "New hosts") ----

-- A count that halves every `half` ms: stored as (value, when), read at `now`.
local function decayed(e, t, now, half)
  e, t = tonumber(e or '0') or 0, tonumber(t or now) or now
  return e * math.pow(2, -(now - t) / half)
end

-- Replicas a host may hold at once: what a new host needs to keep its threads busy (`start`), plus one for
-- every result it had validated lately (decaying with a one-day half-life), never more than the threads it
-- declares times `perThread`. What it declares alone never buys more than `start`.
local function host_allowance(host, threads, perThread, start, now)
  local h = redis.call('HMGET', k_host(host), HF_PROVEN_E, HF_PROVEN_T)
  return math.min(threads * perThread, start + math.floor(decayed(h[1], h[2], now, PROOF_HALF_LIFE_MS) + 0.5))
end

-- Daily quota of one holder (a host's or an account's hash) for a kind: leases left today, the quota and
-- leases used today. `base` is the quota of a holder that has none yet.
local function quota_left(key, kind, base, now)
  local f = redis.call('HMGET', key, HF_QUOTA .. kind, HF_QUOTA_DAY .. kind, HF_QUOTA_USED .. kind)
  local q = tonumber(f[1] or '') or base
  local used = 0
  if tonumber(f[2] or '') == math.floor(now / DAY_MS) then used = tonumber(f[3] or '0') end
  return q - used, q, used
end

local function quota_use(key, kind, base, n, now)
  local day = math.floor(now / DAY_MS)
  if not redis.call('HGET', key, HF_QUOTA .. kind) then redis.call('HSET', key, HF_QUOTA .. kind, base) end
  if tonumber(redis.call('HGET', key, HF_QUOTA_DAY .. kind) or '') ~= day then
    redis.call('HSET', key, HF_QUOTA_DAY .. kind, day, HF_QUOTA_USED .. kind, n)
  else
    redis.call('HINCRBY', key, HF_QUOTA_USED .. kind, n)
  end
end

local function host_quota_base(threads)
  return QUOTA_PER_THREAD * math.max(1, math.min(threads, QUOTA_THREADS_MAX))
end

-- A replica handed back unfinished gives its lease back to today's count.
local function quota_refund(key, kind, now)
  if tonumber(redis.call('HGET', key, HF_QUOTA_DAY .. kind) or '') == math.floor(now / DAY_MS)
    and tonumber(redis.call('HGET', key, HF_QUOTA_USED .. kind) or '0') > 0 then
    redis.call('HINCRBY', key, HF_QUOTA_USED .. kind, -1)
  end
end

-- The quota times `factor`, `times` times over (default once), kept within 1..QUOTA_MAX at each step.
local function quota_scale(key, kind, factor, times)
  local q = tonumber(redis.call('HGET', key, HF_QUOTA .. kind) or '')
  if not q then return end
  for _ = 1, times or 1 do q = math.max(1, math.min(QUOTA_MAX, math.floor(q * factor))) end
  redis.call('HSET', key, HF_QUOTA .. kind, q)
end

-- `n` results of this host (and account) were judged valid: both quotas double n times, the host's proven
-- count grows by n, and the host is no longer one that expires for never having proved anything.
local function quota_valid(host, acct, kind, n)
  local hk = k_host(host)
  quota_scale(hk, kind, 2, n)
  if acct and acct ~= '' then quota_scale(k_account(acct), kind, 2, n) end
  local now = clock_ms()
  local h = redis.call('HMGET', hk, HF_PROVEN_E, HF_PROVEN_T)
  redis.call('HSET', hk, HF_PROVEN_E, tostring(decayed(h[1], h[2], now, PROOF_HALF_LIFE_MS) + n), HF_PROVEN_T, now)
  redis.call('ZREM', k_hostsUnproven(), host)
end

-- A result of this host (and account) was judged invalid: both quotas halve, and what the host had
-- proved counts for nothing: its allowance is a new host's again.
local function quota_invalid(host, acct, kind)
  quota_scale(k_host(host), kind, 0.5)
  if acct and acct ~= '' then quota_scale(k_account(acct), kind, 0.5) end
  redis.call('HSET', k_host(host), HF_PROVEN_E, 0, HF_PROVEN_T, clock_ms())
end

-- A replica comes back without a result: no reply by its deadline (RS_NO_REPLY) or handed back
-- (RS_RELEASED). A hand-back keeps the unit from that host for a cool-down unless `cooldown` is false (a
-- host that went silent did not decline the unit). Returns true when the replica was still out.
local function replica_gone(lid, newState, reason, cooldown)
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
    local now = clock_ms()
    local acct = redis.call('HGET', uk, R_ACCOUNT .. r)
    local net = redis.call('HGET', uk, R_NETWORK .. r)
    redis.call('HDEL', uk, M_HOST .. host)
    if acct and acct ~= '' then redis.call('HDEL', uk, M_ACCOUNT .. acct) end
    if net and net ~= '' then redis.call('HDEL', uk, M_NETWORK .. net) end
    if cooldown ~= false then redis.call('HSET', uk, M_HANDED_BACK .. host, now) end
    local kind = redis.call('HGET', k_job(jid), 'kind')
    if kind then
      quota_refund(k_host(host), kind, now)
      if acct and acct ~= '' then quota_refund(k_account(acct), kind, now) end
    end
  end
  if newState == RS_NO_REPLY then
    reset_trust(host, redis.call('HGET', k_job(jid), 'kind'))
    redis.call('HINCRBY', k_host(host), 'nTimeout', 1)
    stat('results_timeout')
  end
  want_more(jid, uk, idx, reason)
  return true
end

-- ---- The audit queue (coordinator/audit-queue.ts) ----

-- Claim up to `max` audits that are due (waiting, or claimed by a coordinator whose claim lapsed), each
-- until `untilMs`, with what the verifier reads first: the unit, and its host's trust in the job's kind.
-- Returns per claim: { lease id, the unit as HGETALL gives it (empty if gone), the host's trust epoch
-- (ce:<kind>) or false, its count (cv:<kind>) or false }.
local function claim_audits(nowMs, untilMs, max)
  if max < 1 then return {} end
  local due = redis.call('ZRANGEBYSCORE', k_audits(), '-inf', nowMs, 'LIMIT', 0, max)
  if #due == 0 then return due end
  local claim, out = {}, {}
  for _, lid in ipairs(due) do
    claim[#claim + 1] = untilMs
    claim[#claim + 1] = lid
    local jid, idx, r = parse_lease(lid)
    local h, ce, cv = {}, false, false
    if jid then
      h = redis.call('HGETALL', k_unit(jid, idx))
      local host
      for i = 1, #h, 2 do
        if h[i] == R_HOST .. r then host = h[i + 1]; break end
      end
      local kind = redis.call('HGET', k_job(jid), 'kind')
      if host and kind then
        local t = redis.call('HMGET', k_host(host), 'ce:' .. kind, 'cv:' .. kind)
        ce, cv = t[1] or false, t[2] or false
      end
    end
    out[#out + 1] = { lid, h, ce, cv }
  end
  redis.call('ZADD', k_audits(), 'XX', unpack(claim))
  return out
end
