-- Extends the leases this worker still holds. ARGV: prefix, queue, lease_ms, (id, lease)...
-- KEYS[1]: the inflight set, declared for Cluster routing (every key below shares its hash tag).
local base = vq_base(ARGV[1], ARGV[2])
local deadline = vq_now_ms() + tonumber(ARGV[3])
local renewed = 0
for i = 4, #ARGV, 2 do
  local id = ARGV[i]
  if vq_owns(base .. 'job:' .. id, ARGV[i + 1]) then
    redis.call('ZADD', base .. 'inflight', 'XX', deadline, id)
    renewed = renewed + 1
  end
end
return renewed
