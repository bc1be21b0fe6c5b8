-- read: balances of accounts of one tree.
-- KEYS[1] the tree's expiry set. ARGV: base, now, historyLimit, then per account: id, key, limit.
-- Returns { balances, records appended }.
local appended = {}
sweep(ARGV[2], tonumber(ARGV[3]), appended)
local balances = {}
for i = 4, #ARGV, 3 do balances[#balances + 1] = balance(ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])) end
return { balances, appended }
