-- Puts dead-lettered jobs back with a fresh attempt budget. ARGV: prefix, queue, id... ('*' for all)
-- KEYS[1]: the dead set, declared for Cluster routing (every key below shares its hash tag).
local base = vq_base(ARGV[1], ARGV[2])
local now = vq_now_ms()
local ids = {}
if ARGV[3] == '*' then
  ids = redis.call('ZRANGE', base .. 'dead', 0, -1)
else
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local moved = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', base .. 'dead', id) == 1 then
    local job = base .. 'job:' .. id
    redis.call('HSET', job, 'state', 'due', 'due_ms', now, 'attempts', 0)
    redis.call('ZADD', base .. 'due', now, id)
    moved = moved + 1
  end
end
if moved > 0 then
  vq_wake(base)
end
return moved
