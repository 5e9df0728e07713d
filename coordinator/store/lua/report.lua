-- Record results (or errors) returned by hosts: one call takes the reports of several hosts, which a
-- coordinator gathers while its previous call runs (coordinator/report-queue.ts), since a call costs
-- Redis far more before its first item than per item (docs/scaling.md). A result is taken only from the
-- host the replica was leased to, once; a late one (past its deadline) is still taken and compared later.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: nowMs, n, then per item: hostId, jobId, unit, replica, kind ('R' result | 'E' error),
--       payload (result JSON, or for an error {code, message} JSON), cpuS
-- Reads/writes: job:{job}, job:{job}:u:{unit}, leases, job:{job}:leases, host:{host}:leases,
-- host:{host}, host:{host}:daily, validate, need, sched, failed, settled, stats.
-- Returns per item: status, where status is 'ok' | 'check' (quorum reached or late: validate it) |
-- an error code (UNKNOWN_LEASE, LEASE_NOT_YOURS, DUPLICATE_RESULT, JOB_CANCELLED).
--
-- Errors: kinds are deterministic, so when two hosts or more (FINAL_ERROR_HOSTS), and at least the unit's
-- quorum, report the same code that its kind raises for a bad input (FINAL_CODES, from Kind.unitErrorCodes),
-- the input itself is at fault and the unit fails at once; otherwise it fails after maxErrorResults errors
-- (BOINC's max_error_results). One host's word is not enough: replicas of a unit never share a host,
-- account or network, so the second report comes from someone else.
local now, n = tonumber(ARGV[1]), tonumber(ARGV[2])
-- Written per result as given, not converted back from a number (lib.lua, int).
local nowText = ARGV[1]
local res = {}

local function error_code(payload)
  local ok, e = pcall(cjson.decode, payload)
  if ok and type(e) == 'table' and type(e.code) == 'string' then return e.code, tostring(e.message or '') end
  return 'UNIT_ERROR', payload
end

-- How many error replicas of the unit report this code.
local function same_errors(uk, code)
  local count = 0
  local nrep = tonumber(redis.call('HGET', uk, U_REPLICAS) or '0')
  for r = 0, nrep - 1 do
    if redis.call('HGET', uk, R_STATE .. r) == RS_ERROR then
      local c = error_code(redis.call('HGET', uk, R_RESULT .. r) or '')
      if c == code then count = count + 1 end
    end
  end
  return count
end

-- Read once per call: a job's state and kind, which nothing here changes, and each host's trust mark
-- per kind, which only an error result here resets.
local jobs, marks, reported = {}, {}, 0
-- The lease indexes and the validation queue are written once per call: nothing here reads them back.
local dropped, toValidate = lease_batches(false), {}
local function job_of(jid)
  local j = jobs[jid]
  if not j then
    local f = redis.call('HMGET', k_job(jid), 'state', 'kind')
    j = { state = f[1], kind = f[2] }
    jobs[jid] = j
  end
  return j
end
local function mark_of(host, kind)
  local key = host .. ' ' .. kind
  marks[key] = marks[key] or trust_mark(host, kind)
  return marks[key]
end

for i = 0, n - 1 do
  local b = 3 + i * 7
  local host, jid, idx, r, what, payload, cpu = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5], ARGV[b + 6]
  local jk, uk = k_job(jid), k_unit(jid, idx)
  local job = job_of(jid)
  local jstate = job.state
  local u = redis.call('HMGET', uk, R_HOST .. r, R_STATE .. r, U_STATE, U_QUORUM, U_OUT, U_REPORTED, U_VERSION)
  local owner, s, st = u[1], u[2], u[3]
  local status
  if not jstate or not owner then
    status = (jstate == 'cancelled' or jstate == 'done' or jstate == 'failed') and 'JOB_CANCELLED' or 'UNKNOWN_LEASE'
  elseif owner ~= host then
    status = 'LEASE_NOT_YOURS'
  elseif s == RS_REPORTED or s == RS_ERROR then
    status = 'DUPLICATE_RESULT'
  elseif s == RS_RELEASED or jstate == 'cancelled' then
    status = 'JOB_CANCELLED'
  else
    local lid = jid .. '.' .. idx .. '.' .. r
    local out = tonumber(u[5] or '0')
    if s == RS_LEASED then
      out = out - 1
      dropped.add(host, jid, lid)
    end
    if what == 'R' then
      -- The result, the unit's counts and its next version: one write.
      local ok = tonumber(u[6] or '0') + 1
      redis.call('HSET', uk, R_CPU .. r, cpu, R_REPORTED_AT .. r, nowText, R_STATE .. r, RS_REPORTED, R_RESULT .. r, payload,
        R_TRUST .. r, mark_of(host, job.kind), U_OUT, int(out), U_REPORTED, int(ok), U_VERSION, int((u[7] or 0) + 1))
      reported = reported + 1
      if (st == US_OPEN and ok >= tonumber(u[4])) or st == US_VALID then
        toValidate[#toValidate + 1] = nowText
        toValidate[#toValidate + 1] = jid .. '.' .. idx
        status = 'check'
      else
        status = 'ok'
      end
    else
      redis.call('HSET', uk, R_CPU .. r, cpu, R_REPORTED_AT .. r, nowText, R_STATE .. r, RS_ERROR, R_RESULT .. r, payload, U_OUT, int(out))
      local err = redis.call('HINCRBY', uk, U_ERRORS, 1)
      bump(uk)
      stat('results_error')
      redis.call('HINCRBY', k_host(host), 'nError', 1)
      host_day(host, 'e', 1, now)
      reset_trust(host, job.kind)
      marks[host .. ' ' .. job.kind] = nil
      if st == US_OPEN then
        local code, message = error_code(payload)
        local q = tonumber(u[4] or '1')
        local finals = FINAL_CODES[job.kind] or {}
        if finals[code] and same_errors(uk, code) >= math.max(q, FINAL_ERROR_HOSTS) then
          fail_unit(jid, uk, idx, code, message)
        elseif err >= tonumber(redis.call('HGET', jk, 'maxErrorResults') or '3') then
          fail_unit(jid, uk, idx, 'UNIT_ERROR', 'too many error results (last: ' .. code .. ': ' .. string.sub(message, 1, 200) .. ')')
        else
          want_more(jid, uk, idx, 'error results')
        end
      end
      status = 'ok'
    end
  end
  res[#res + 1] = status
end
dropped.write()
if #toValidate > 0 then redis.call('ZADD', k_validate(), unpack(toValidate)) end
if reported > 0 then redis.call('HINCRBY', k_stats(), 'results_reported', reported) end
return res
