-- Record results (or errors) returned by one host. A result is taken only from the host the replica
-- was leased to, once; a late one (past its deadline) is still taken and compared later.
-- ARGV: prefix, hostId, nowMs, n, then per item: jobId, unit, replica, kind ('R' result | 'E' error),
--       payload (result JSON or error text), cpuS
-- Reads/writes: job:{job}, job:{job}:u:{unit}, leases, job:{job}:leases, host:{host}:leases,
-- host:{host}, validate, need, sched, failed, stats.
-- Returns per item: status, where status is 'ok' | 'check' (quorum reached or late: validate it) |
-- an error code (UNKNOWN_LEASE, LEASE_NOT_YOURS, DUPLICATE_RESULT, JOB_CANCELLED).
local host, now, n = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local res = {}
for i = 0, n - 1 do
  local b = 5 + i * 6
  local jid, idx, r, what, payload, cpu = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4], ARGV[b + 5]
  local jk, uk = k_job(jid), k_unit(jid, idx)
  local jstate = redis.call('HGET', jk, 'state')
  local owner = redis.call('HGET', uk, 'h' .. r)
  local s = redis.call('HGET', uk, 's' .. r)
  local status
  if not jstate or not owner then
    status = (jstate == 'cancelled' or jstate == 'done' or jstate == 'failed') and 'JOB_CANCELLED' or 'UNKNOWN_LEASE'
  elseif owner ~= host then
    status = 'LEASE_NOT_YOURS'
  elseif s == 'R' or s == 'E' then
    status = 'DUPLICATE_RESULT'
  elseif s == 'X' or jstate == 'cancelled' then
    status = 'JOB_CANCELLED'
  else
    local lid = jid .. '.' .. idx .. '.' .. r
    if s == 'L' then
      redis.call('HINCRBY', uk, 'out', -1)
      drop_lease(jid, lid, host)
    end
    redis.call('HSET', uk, 'c' .. r, cpu, 't' .. r, now)
    local st = redis.call('HGET', uk, 'st')
    if what == 'R' then
      redis.call('HSET', uk, 's' .. r, 'R', 'res' .. r, payload)
      local ok = redis.call('HINCRBY', uk, 'ok', 1)
      bump(uk)
      stat('results_reported')
      if (st == 'open' and ok >= tonumber(redis.call('HGET', uk, 'q'))) or st == 'valid' then
        redis.call('ZADD', k_validate(), now, jid .. '.' .. idx)
        status = 'check'
      else
        status = 'ok'
      end
    else
      redis.call('HSET', uk, 's' .. r, 'E', 'res' .. r, payload)
      local err = redis.call('HINCRBY', uk, 'err', 1)
      bump(uk)
      stat('results_error')
      redis.call('HINCRBY', k_host(host), 'nError', 1)
      host_day(host, 'e', 1, now)
      reset_trust(host, redis.call('HGET', jk, 'kind'))
      if st == 'open' then
        if err >= tonumber(redis.call('HGET', jk, 'maxErrorResults') or '3') then
          fail_unit(jid, uk, idx, 'too many error results (last: ' .. string.sub(payload, 1, 200) .. ')')
        else
          want_more(jid, uk, idx, 'error results')
        end
      end
      status = 'ok'
    end
  end
  res[#res + 1] = status
end
return res
