-- Marks a job done and lets its data expire. ARGV: prefix, queue, id, lease, finished_ttl_ms
-- KEYS[1]: the job's hash, declared for Cluster routing (every key below shares its hash tag).
local base = vq_base(ARGV[1], ARGV[2])
local job = base .. 'job:' .. ARGV[3]
if not vq_owns(job, ARGV[4]) then
  return 0
end
redis.call('ZREM', base .. 'inflight', ARGV[3])
redis.call('HSET', job, 'state', 'done', 'done_ms', vq_now_ms())
redis.call('HDEL', job, 'lease')
redis.call('PEXPIRE', job, tonumber(ARGV[5]))
return 1
