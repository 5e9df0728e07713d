-- Create a job and put it in line for work.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: jobId, nowMs, then field, value, ... for the job hash
-- Writes: job:{job}, jobs, sched.   Returns: 1 created, 0 if the id exists.
local jid, now = ARGV[1], tonumber(ARGV[2])
local jk = k_job(jid)
if redis.call('EXISTS', jk) == 1 then return 0 end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', jk, unpack(fields))
-- A new job starts level with the most-served job in line, so it neither waits behind nor floods ahead.
local first = redis.call('ZRANGE', k_sched(), 0, 0, 'WITHSCORES')
local pass = first[2] and tonumber(first[2]) or 0
redis.call('HSET', jk, 'pass', tostring(pass), 'state', 'queued', 'cursor', 0, 'unitsDone', 0,
  'unitsFailed', 0, 'inProgress', 0, 'itemsDone', 0, 'opsDone', 0, 'createdAt', now)
redis.call('ZADD', k_jobs(), now, jid)
redis.call('ZADD', k_sched(), pass, jid)
return 1
