-- Moves a job to the dead-letter set, where it stays until an operator requeues or purges it.
-- ARGV: prefix, queue, id, lease, error
-- KEYS[1]: the job's hash, declared for Cluster routing (every key below shares its hash tag).
local base = vq_base(ARGV[1], ARGV[2])
local job = base .. 'job:' .. ARGV[3]
if not vq_owns(job, ARGV[4]) then
  return 0
end
local now = vq_now_ms()
redis.call('ZREM', base .. 'inflight', ARGV[3])
redis.call('HSET', job, 'state', 'dead', 'dead_ms', now, 'last_error', ARGV[5])
redis.call('HDEL', job, 'lease')
redis.call('ZADD', base .. 'dead', now, ARGV[3])
return 1
