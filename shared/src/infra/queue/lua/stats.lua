-- Queue sizes for metrics. ARGV: prefix, queue. Returns {ready, scheduled, inflight, dead}
-- KEYS[1]: the due set, declared for Cluster routing (every key below shares its hash tag).
local base = vq_base(ARGV[1], ARGV[2])
local now = vq_now_ms()
local ready = redis.call('ZCOUNT', base .. 'due', '-inf', now)
local total = redis.call('ZCARD', base .. 'due')
return {ready, total - ready, redis.call('ZCARD', base .. 'inflight'), redis.call('ZCARD', base .. 'dead')}
