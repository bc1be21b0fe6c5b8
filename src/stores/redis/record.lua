-- record: appends the record of an attempt that took no hold to the history of its scopes.
-- KEYS[1] the tree's expiry set. ARGV: base, historyLimit, record (JSON), the record's scopeIds (JSON).
push(ARGV[3], cjson.decode(ARGV[4]), tonumber(ARGV[2]), {})
return 1
