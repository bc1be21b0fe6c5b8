-- update: the operator's changes to one account and its scope id.
-- KEYS[1] the tree's expiry set. ARGV: base, now, historyLimit, id, key, limit, reset ('1' | '0'), limit
-- override ('' to keep, 'clear', or nano-USD), then per flag: name, '1' | '0'.
-- Returns { balance, records appended }.
local id, key = ARGV[4], ARGV[5]
local appended = {}
sweep(ARGV[2], tonumber(ARGV[3]), appended)
if ARGV[8] == 'clear' then
  redis.call('HDEL', scope_key(id), 'override')
elseif ARGV[8] ~= '' then
  redis.call('HSET', scope_key(id), 'override', ARGV[8])
end
if ARGV[7] == '1' then redis.call('HSET', account_key(key), 'spent', '0', 'fired', '') end
for i = 9, #ARGV, 2 do redis.call('HSET', scope_key(id), 'flag:' .. ARGV[i], ARGV[i + 1]) end
return { balance(id, key, tonumber(ARGV[6])), appended }
