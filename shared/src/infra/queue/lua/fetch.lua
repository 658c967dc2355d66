-- Leases up to `limit` due jobs. The limit keeps every reply small, however many jobs are due at once.
-- ARGV: prefix, queue, limit, lease_ms, lease_token
-- Returns {now_ms, next_due_ms or -1, id, payload, attempts, due_ms, enqueued_ms, ...}
-- KEYS[1]: the due set, declared for Cluster routing (every key below shares its hash tag).
local base = vq_base(ARGV[1], ARGV[2])
local now = vq_now_ms()
local ids = redis.call('ZRANGEBYSCORE', base .. 'due', '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {now, -1}
local deadline = now + tonumber(ARGV[4])
for _, id in ipairs(ids) do
  redis.call('ZREM', base .. 'due', id)
  local job = base .. 'job:' .. id
  local fields = redis.call('HMGET', job, 'payload', 'due_ms', 'enqueued_ms')
  if fields[1] then
    local attempts = redis.call('HINCRBY', job, 'attempts', 1)
    redis.call('HSET', job, 'state', 'inflight', 'lease', ARGV[5], 'leased_ms', now)
    redis.call('ZADD', base .. 'inflight', deadline, id)
    out[#out + 1] = id
    out[#out + 1] = fields[1]
    out[#out + 1] = attempts
    out[#out + 1] = fields[2]
    out[#out + 1] = fields[3]
  end
end
local next_due = redis.call('ZRANGE', base .. 'due', 0, 0, 'WITHSCORES')
if next_due[2] then
  out[2] = tonumber(next_due[2])
end
return out
