-- Claim audits to run: up to `max` results whose audit is due (waiting, or claimed by a coordinator whose
-- claim lapsed: it died or lost Redis), each claimed until `untilMs`, so that two coordinators never run
-- the same audit at once and one that dies leaves its audits to the others (coordinator/audit-queue.ts).
-- With each claim come what the verifier reads before it recomputes (the unit, and its host's trust in
-- the job's kind), since a round trip costs Redis more than the reads themselves (docs/scaling.md).
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: nowMs, untilMs, max
-- Reads/writes: audits; reads job:{job}, job:{job}:u:{unit}, host:{host}.
-- Returns per claim: { lease id ("job.unit.replica"), the unit hash as HGETALL gives it (empty if gone),
-- the host's trust epoch for the kind (ce:<kind>) or nil, its count (cv:<kind>) or nil }.
local due = redis.call('ZRANGEBYSCORE', k_audits(), '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
if #due == 0 then return due end
local claim, out = {}, {}
for _, lid in ipairs(due) do
  claim[#claim + 1] = ARGV[2]
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
