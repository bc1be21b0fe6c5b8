-- register: upserts scope ids in the registry (the first createdAt stays) and files each id under the tree
-- of its root, which read, update and history need to find its keys.
-- KEYS[1] registry (id -> ScopeInfo JSON without createdAt), KEYS[2] id -> createdAt, KEYS[3] id -> root id.
-- ARGV: per scope: id, parentId ('' for none), createdAt, info (JSON).
local parents = {}
for i = 1, #ARGV, 4 do parents[ARGV[i]] = ARGV[i + 1] end

-- Follows parents (this call's, or the root already filed for an id) up to the root.
local function root_of(id)
  for _ = 1, 1000 do
    local filed = redis.call('HGET', KEYS[3], id)
    if filed then return filed end
    local parent = parents[id]
    if parent == nil or parent == '' then return id end
    id = parent
  end
  return id
end

for i = 1, #ARGV, 4 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 3])
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 2])
  redis.call('HSETNX', KEYS[3], ARGV[i], root_of(ARGV[i]))
end
return 1
