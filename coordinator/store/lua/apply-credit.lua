-- Add the credit that validate.lua granted (the `credit:pending` list) to the totals: each host's,
-- account's and team's credit, decayed credit and leaderboard entry, each host's daily record of credit
-- and valid results, and the grid's credit. Entries are taken off the list and added in the same call,
-- so each is added exactly once, whichever coordinator runs this and however many run it at once.
-- KEYS[1]: the key prefix (scripts.ts)
-- ARGV: most entries to take this call
-- Reads/writes: credit:pending, host:{host}, host:{host}:daily, account:{account}, team:{team},
-- credit:hosts, credit:accounts, credit:teams, stats.
-- Returns: { entries added, entries still pending }.
--
-- Why apart from validate.lua (docs/scaling.md, Cheaper before sharding, item 5): the totals are sums
-- that decide nothing (trust, quotas and the proven count, which do, stay in validate.lua), and a call
-- here adds up many validate.lua calls' entries, so a host that had results judged in ten calls gets its
-- totals written once rather than ten times.
local entries = redis.call('LPOP', k_creditPending(), tonumber(ARGV[1]))
if not entries then return { 0, 0 } end

-- Sums per holder. Decayed credit is summed as of the newest entry, each entry decayed from its own time,
-- so that adding late changes nothing (lib.lua, add_credit).
local hosts, accounts, horder, aorder = {}, {}, {}, {}
local function holder(map, order, id, at)
  local h = map[id]
  if not h then
    h = { id = id, credit = 0, at = at, parts = {}, days = {} }
    map[id] = h
    order[#order + 1] = h
  end
  if at > h.at then h.at = at end
  return h
end
local total = 0
for _, e in ipairs(entries) do
  local host, acct, credit, n, at = string.match(e, '^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$')
  credit, n, at = tonumber(credit), tonumber(n), tonumber(at)
  local h = holder(hosts, horder, host, at)
  h.parts[#h.parts + 1] = { credit, at }
  h.credit = h.credit + credit
  local day = math.floor(at / DAY_MS)
  local d = h.days[day] or { c = 0, v = 0 }
  h.days[day] = d
  d.c, d.v = d.c + credit, d.v + n
  if acct ~= '' then
    local a = holder(accounts, aorder, acct, at)
    a.parts[#a.parts + 1] = { credit, at }
    a.credit = a.credit + credit
  end
  total = total + credit
end

local function decayed_sum(h)
  local s = 0
  for _, p in ipairs(h.parts) do s = s + p[1] * math.pow(2, -(h.at - p[2]) / CREDIT_HALF_LIFE_MS) end
  return s
end

for _, h in ipairs(horder) do
  add_credit(k_host(h.id), k_creditHosts(), h.id, h.credit, decayed_sum(h), h.at)
  for day, d in pairs(h.days) do
    host_day(h.id, 'c', d.c, day * DAY_MS)
    host_day(h.id, 'v', d.v, day * DAY_MS)
  end
end
local teams, torder = {}, {}
for _, a in ipairs(aorder) do
  local rac = decayed_sum(a)
  add_credit(k_account(a.id), k_creditAccounts(), a.id, a.credit, rac, a.at)
  local team = redis.call('HGET', k_account(a.id), 'team')
  if team and team ~= '' then
    local t = holder(teams, torder, team, a.at)
    t.credit = t.credit + a.credit
    t.parts[#t.parts + 1] = { rac, a.at }
  end
end
for _, t in ipairs(torder) do add_credit(k_team(t.id), k_creditTeams(), t.id, t.credit, decayed_sum(t), t.at) end
stat('credit', total)
return { #entries, redis.call('LLEN', k_creditPending()) }
