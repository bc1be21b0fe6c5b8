-- claim: files scope ids under the tree a reserve names (first one wins) and returns the tree each id is
-- filed under, so the caller can refuse an id already used in another tree.
-- KEYS[1] id -> root id. ARGV: root, then the ids.
local roots = {}
for i = 2, #ARGV do
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[1])
  roots[#roots + 1] = redis.call('HGET', KEYS[1], ARGV[i])
end
return roots
