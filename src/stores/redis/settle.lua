-- settle: applies a hold once: removes it, adds the actual cost to every scope, refunds rate windows, appends
-- the record.
-- KEYS[1] the tree's expiry set. ARGV: base, now, holdId, actual, historyLimit, record (JSON), the record's
-- scopeIds (JSON), then per refund: key, capacity, periodMs, amount.
-- Returns { settled (1 | 0), held, balances, warnings { id, key, threshold }, records appended }.
local hold_id, cap = ARGV[3], tonumber(ARGV[5])
local appended = {}
sweep(ARGV[2], cap, appended)

local hold = redis.call('HMGET', hold_key(hold_id), 'amount', 'scopes')
if not hold[1] then return { 0, '0', {}, {}, appended } end
redis.call('DEL', hold_key(hold_id))
redis.call('ZREM', expiries_key, hold_id)

local warnings = {}
local balances = apply(cjson.decode(hold[2]), tonumber(hold[1]), tonumber(ARGV[4]), warnings)
for i = 8, #ARGV, 4 do
  local key = rate_key(ARGV[i])
  local tat = tonumber(redis.call('GET', key))
  if tat then
    local capacity, period, units = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
    redis.call('SET', key, real(tat - (units * period) / capacity))
  end
end
push(ARGV[6], cjson.decode(ARGV[7]), cap, appended)
return { 1, hold[1], balances, warnings, appended }
