-- Queue sizes for metrics. ARGV: prefix, queue. Returns {ready, scheduled, inflight, dead}
local base = vq_base(ARGV[1], ARGV[2])
local now = vq_now_ms()
local ready = redis.call('ZCOUNT', base .. 'due', '-inf', now)
local total = redis.call('ZCARD', base .. 'due')
return {ready, total - ready, redis.call('ZCARD', base .. 'inflight'), redis.call('ZCARD', base .. 'dead')}
