-- ARGV: prefix, queue, id, payload, delay_ms, idem_key ('' for none), idem_ttl_ms
-- KEYS[1]: the due set, declared for Cluster routing (every key below shares its hash tag).
local id, created = vq_push(ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7], vq_now_ms())
return {id, created}
