-- Schedules another attempt. ARGV: prefix, queue, id, lease, delay_ms, error, refund (1 = the run never
-- reached its target, e.g. rate-limited: it does not count against the attempt limit)
-- KEYS[1]: the job's hash, declared for Cluster routing (every key below shares its hash tag).
local base = vq_base(ARGV[1], ARGV[2])
local job = base .. 'job:' .. ARGV[3]
if not vq_owns(job, ARGV[4]) then
  return 0
end
local due = vq_now_ms() + tonumber(ARGV[5])
redis.call('ZREM', base .. 'inflight', ARGV[3])
redis.call('HSET', job, 'state', 'due', 'due_ms', due, 'last_error', ARGV[6])
redis.call('HDEL', job, 'lease')
if ARGV[7] == '1' then
  redis.call('HINCRBY', job, 'attempts', -1)
end
redis.call('ZADD', base .. 'due', due, ARGV[3])
vq_wake(base)
return 1
