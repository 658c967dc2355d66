-- Returns jobs whose lease ran out (their worker died) to the due set, or to the dead-letter set once they
-- have used every attempt. ARGV: prefix, queue, limit, max_attempts
-- KEYS[1]: the inflight set, declared for Cluster routing (every key below shares its hash tag).
local base = vq_base(ARGV[1], ARGV[2])
local now = vq_now_ms()
local ids = redis.call('ZRANGEBYSCORE', base .. 'inflight', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local requeued, dead = 0, 0
for _, id in ipairs(ids) do
  local job = base .. 'job:' .. id
  redis.call('ZREM', base .. 'inflight', id)
  redis.call('HDEL', job, 'lease')
  local attempts = tonumber(redis.call('HGET', job, 'attempts') or '0')
  if redis.call('EXISTS', job) == 0 then
    -- data gone (expired or purged): nothing left to run
  elseif attempts >= tonumber(ARGV[4]) then
    redis.call('HSET', job, 'state', 'dead', 'dead_ms', now, 'last_error', 'worker lost while running the last attempt')
    redis.call('ZADD', base .. 'dead', now, id)
    dead = dead + 1
  else
    redis.call('HSET', job, 'state', 'due', 'due_ms', now, 'last_error', 'worker lost (lease expired)')
    redis.call('ZADD', base .. 'due', now, id)
    requeued = requeued + 1
  end
end
if requeued > 0 then
  vq_wake(base)
end
return {requeued, dead}
