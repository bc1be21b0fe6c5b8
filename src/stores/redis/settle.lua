-- settle: applies a hold once: removes it, adds the actual cost to every scope, refunds rate windows, appends
-- the record. A function of the transitions script (batch.lua), which passes its arguments as A: now, holdId,
-- actual, historyLimit, record (JSON), the record's scopeIds (JSON), then per refund: key, capacity, periodMs,
-- amount.
-- Returns { settled (1 | 0), held, balances, warnings { id, key, threshold }, records appended }.
local function settle(A)
  local hold_id, cap = A[2], tonumber(A[4])
  local appended = {}
  sweep(A[1], cap, appended)

  local hold = redis.call('HMGET', hold_key(hold_id), 'amount', 'scopes')
  if not hold[1] then return { 0, '0', {}, {}, appended } end
  redis.call('DEL', hold_key(hold_id))
  redis.call('ZREM', expiries_key, hold_id)

  local warnings = {}
  local balances = apply(cjson.decode(hold[2]), tonumber(hold[1]), tonumber(A[3]), warnings)
  for i = 7, #A, 4 do
    local key = rate_key(A[i])
    local tat = tonumber(redis.call('GET', key))
    if tat then
      local capacity, period, units = tonumber(A[i + 1]), tonumber(A[i + 2]), tonumber(A[i + 3])
      redis.call('SET', key, real(tat - (units * period) / capacity))
    end
  end
  push(A[5], cjson.decode(A[6]), cap, appended)
  return { 1, hold[1], balances, warnings, appended }
end
