-- index: appends records (JSON, oldest first) to the global history list, newest first, capped.
-- KEYS[1] the global history list. ARGV: historyLimit, then the records.
for i = 2, #ARGV do redis.call('LPUSH', KEYS[1], ARGV[i]) end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
return 1
