-- transitions: the reserves and settles of one budget tree that this process asked for in one event-loop turn,
-- in one script call, each applied as if alone (reserve.lua and settle.lua come before this file).
-- KEYS[1] the tree's expiry set. ARGV: base, then per transition: kind ('r' | 's'), the number of its
-- arguments, its arguments.
-- Returns one reply per transition, in order: the function's, or { 'error', message } when it failed.
local results = {}
local i = 2
while i <= #ARGV do
  local kind, count = ARGV[i], tonumber(ARGV[i + 1])
  local A = {}
  for j = 1, count do A[j] = ARGV[i + 1 + j] end
  i = i + 2 + count
  local ok, result = pcall(kind == 'r' and reserve or settle, A)
  if not ok then
    results[#results + 1] = { 'error', type(result) == 'table' and (result.err or 'failed') or tostring(result) }
  elseif type(result) == 'table' and result.err then
    results[#results + 1] = { 'error', result.err }
  else
    results[#results + 1] = result
  end
end
return results
