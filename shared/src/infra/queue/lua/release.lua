-- Hands back jobs that were leased but never started (prefetched at shutdown): due again at once, and the
-- attempt they were charged is returned. ARGV: prefix, queue, lease, id...
-- KEYS[1]: the inflight set, declared for Cluster routing (every key below shares its hash tag).
local base = vq_base(ARGV[1], ARGV[2])
local now = vq_now_ms()
local released = 0
for i = 4, #ARGV do
  local id = ARGV[i]
  local job = base .. 'job:' .. id
  if vq_owns(job, ARGV[3]) then
    redis.call('ZREM', base .. 'inflight', id)
    redis.call('HINCRBY', job, 'attempts', -1)
    redis.call('HSET', job, 'state', 'due', 'due_ms', now)
    redis.call('HDEL', job, 'lease')
    redis.call('ZADD', base .. 'due', now, id)
    released = released + 1
  end
end
if released > 0 then
  vq_wake(base)
end
return released
