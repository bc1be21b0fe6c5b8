-- Shared by the scripts that work on one budget tree (reserve, settle, read, update, record): redis.ts puts
-- this file in front of each of them. The key layout is described at the top of redis.ts.
--
-- Numbers: amounts are integer nano-USD up to MAX (2^53 - 1, money.ts' MAX_NANO), exact in Lua's doubles;
-- spent stops at MAX (a cost is never above it: the ledger bounds it). They are written back with int()
-- ('%.0f': '%d' would wrap a double beyond 2^63 to a negative number), never tostring() or a number argument
-- to redis.call, which keep only 14 significant digits; rate-window times with real() ('%.17g'), which reads
-- back as the same double.

local MAX = 9007199254740991
-- (n + 0: '%.0f' writes -0 as '-0', which HINCRBY refuses.)
local function int(n) return string.format('%.0f', n + 0) end
local function real(n) return string.format('%.17g', n) end

-- '{prefix:root}': every key of the tree starts with it, so they all hash to one cluster slot.
local base = ARGV[1]
local function account_key(key) return base .. ':account:' .. key end
local function scope_key(id) return base .. ':scope:' .. id end
local function hold_key(hold_id) return base .. ':hold:' .. hold_id end
local function rate_key(key) return base .. ':rate:' .. key end
local function history_key(id) return base .. ':history:' .. id end
local expiries_key = base .. ':expiries'

-- The scope id's limit override (nil when none) and flags (name -> boolean).
local function settings(id)
  local fields = redis.call('HGETALL', scope_key(id))
  local override, flags = nil, {}
  for i = 1, #fields, 2 do
    if fields[i] == 'override' then
      override = tonumber(fields[i + 1])
    else
      flags[string.sub(fields[i], 6)] = fields[i + 1] == '1' -- 'flag:<name>'
    end
  end
  return override, flags
end

local function account(key)
  local values = redis.call('HMGET', account_key(key), 'spent', 'held')
  return tonumber(values[1]) or 0, tonumber(values[2]) or 0
end

local function flag_list(flags)
  local list = {}
  for name, on in pairs(flags) do
    list[#list + 1] = name
    list[#list + 1] = on and '1' or '0'
  end
  return list
end

-- A balance as redis.ts parses it: { key, id, limit, spent, held, { flag, '1' | '0', ... } }.
local function balance_of(key, id, limit, spent, held, flags)
  return { key, id, int(limit), int(spent), int(held), flag_list(flags) }
end

local function balance(id, key, limit)
  local override, flags = settings(id)
  local spent, held = account(key)
  return balance_of(key, id, override or limit, spent, held, flags)
end

-- warnings.ts: the thresholds (percent, ascending) that spent has reached and that have not fired since the
-- last reset; marks them fired and appends them to `warnings`.
local function cross(scope, spent, limit, warnings)
  local thresholds = scope.thresholds or {}
  if limit <= 0 or #thresholds == 0 or spent * 100 < limit * thresholds[1] then return end
  local key = account_key(scope.key)
  local fired = redis.call('HGET', key, 'fired') or ''
  local changed = false
  for _, threshold in ipairs(thresholds) do
    if spent * 100 < limit * threshold then break end
    local mark = real(threshold) .. ','
    if not string.find(',' .. fired, ',' .. mark, 1, true) then
      fired = fired .. mark
      changed = true
      warnings[#warnings + 1] = { scope.id, scope.key, real(threshold) }
    end
  end
  if changed then redis.call('HSET', key, 'fired', fired) end
end

-- Removes a hold's amount from held and adds `actual` to spent on each of its scopes; returns their balances.
local function apply(scopes, amount, actual, warnings)
  local balances = {}
  for i, scope in ipairs(scopes) do
    local override, flags = settings(scope.id)
    local limit = override or scope.limit
    local key = account_key(scope.key)
    local values = redis.call('HMGET', key, 'spent', 'held')
    local spent = math.min((tonumber(values[1]) or 0) + actual, MAX)
    local held = (tonumber(values[2]) or 0) - amount
    redis.call('HSET', key, 'spent', int(spent), 'held', int(held))
    -- A lease-expiry sweep passes no list: thresholds stay unmarked, so the next settle reports them.
    if warnings then cross(scope, spent, limit, warnings) end
    balances[i] = balance_of(scope.key, scope.id, limit, spent, held, flags)
  end
  return balances
end

-- Appends a record (JSON) to the history of each scope id it was held on, newest first, capped.
local function push(record, ids, cap, appended)
  for _, id in ipairs(ids) do
    if redis.call('LPUSH', history_key(id), record) > cap then redis.call('LTRIM', history_key(id), 0, cap - 1) end
  end
  appended[#appended + 1] = record
end

-- Settles the holds whose lease has ended at their full amount (the provider may have billed them), with
-- the record written at reserve time for that case.
local swept_until = nil
local function sweep(now, cap, appended)
  -- One sweep per script call and time: the transitions of a batch share it.
  if swept_until and tonumber(now) <= swept_until then return end
  swept_until = tonumber(now)
  for _, hold_id in ipairs(redis.call('ZRANGEBYSCORE', expiries_key, '-inf', now)) do
    local hold = redis.call('HMGET', hold_key(hold_id), 'amount', 'scopes', 'ids', 'expired')
    if hold[1] then
      local amount = tonumber(hold[1])
      apply(cjson.decode(hold[2]), amount, amount, nil)
      push(hold[4], cjson.decode(hold[3]), cap, appended)
      redis.call('DEL', hold_key(hold_id))
    end
    redis.call('ZREM', expiries_key, hold_id)
  end
end
