-- reserve: checks and takes a hold on every scope of the request, or on none. A function of the transitions
-- script (batch.lua), which passes its arguments as A: now, expiresAt, holdId, amount, force ('1' | '0'),
-- historyLimit, scopes (JSON ScopeRef[]), the record's scopeIds (JSON), the record written if the lease
-- expires (JSON), then per rate window: key, capacity, periodMs, amount.
-- Returns { ok (1 | 0), reason, refusedBy, retryAfterMs (-1 when none), balances, records appended }.
local function reserve(A)
  local now, hold_id, amount = tonumber(A[1]), A[3], tonumber(A[4])
  local cap = tonumber(A[6])
  local appended = {}
  sweep(A[1], cap, appended)

  -- Each scope's account and settings, read once.
  local entries = {}
  for i, scope in ipairs(cjson.decode(A[7])) do
    local override, flags = settings(scope.id)
    local spent, held = account(scope.key)
    entries[i] = { id = scope.id, key = scope.key, limit = override or scope.limit, flags = flags, spent = spent, held = held }
  end
  local function balances()
    local out = {}
    for i, e in ipairs(entries) do out[i] = balance_of(e.key, e.id, e.limit, e.spent, e.held, e.flags) end
    return out
  end
  local function refuse(reason, refused_by, retry_after)
    return { 0, reason, refused_by, retry_after or -1, balances(), appended }
  end

  local consumed = {}
  if A[5] ~= '1' then
    for _, e in ipairs(entries) do
      if e.flags.panic then return refuse('panic', e.id) end
      if e.flags.locked then return refuse('locked', e.id) end
    end
    for _, e in ipairs(entries) do
      if e.spent + e.held + amount > e.limit then return refuse('budget', e.id) end
    end
    -- GCRA, as rate-window.ts: the window's state is its theoretical arrival time (tat).
    for i = 10, #A, 4 do
      local key, capacity, period, units = A[i], tonumber(A[i + 1]), tonumber(A[i + 2]), tonumber(A[i + 3])
      local tat = tonumber(redis.call('GET', rate_key(key)))
      local increment = (units * period) / capacity
      local next_tat = math.max(tat or now, now) + increment
      local ahead = next_tat - now
      if ahead > period then return refuse('rate_limit', key, math.ceil(ahead - period)) end
      consumed[#consumed + 1] = { key, next_tat }
    end
  end

  -- A hold is in the expiry set for as long as it exists.
  if redis.call('ZADD', expiries_key, 'NX', A[2], hold_id) == 0 then
    return redis.error_reply('Hold ' .. hold_id .. ' already exists')
  end
  for _, window in ipairs(consumed) do redis.call('SET', rate_key(window[1]), real(window[2])) end
  for _, e in ipairs(entries) do e.held = redis.call('HINCRBY', account_key(e.key), 'held', int(amount)) end
  redis.call('HSET', hold_key(hold_id), 'amount', int(amount), 'scopes', A[7], 'ids', A[8], 'expired', A[9])
  return { 1, '', '', -1, balances(), appended }
end
