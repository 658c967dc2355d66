-- Shared by every queue script (prepended to each). All times are Redis server time in milliseconds, so
-- API and worker hosts with skewed clocks still agree on when a job is due.
local function vq_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function vq_base(prefix, queue)
  return prefix .. 'queue:' .. queue .. ':'
end

local function vq_wake(base)
  redis.call('LPUSH', base .. 'wake', '1')
  redis.call('LTRIM', base .. 'wake', 0, 31)
end

-- Enqueues one job. Returns the job id that holds the idempotency key and 1 when this call enqueued it,
-- 0 when the key was already taken (the earlier job's id is returned).
local function vq_push(prefix, queue, id, payload, delay_ms, idem_key, idem_ttl_ms, now_ms)
  local base = vq_base(prefix, queue)
  if idem_key ~= '' then
    local idem = base .. 'idem:' .. idem_key
    local existing = redis.call('GET', idem)
    if existing then
      return existing, 0
    end
    redis.call('SET', idem, id, 'PX', idem_ttl_ms)
  end
  local due_ms = now_ms + delay_ms
  redis.call('HSET', base .. 'job:' .. id, 'payload', payload, 'attempts', 0, 'state', 'due',
    'due_ms', due_ms, 'enqueued_ms', now_ms)
  redis.call('ZADD', base .. 'due', due_ms, id)
  vq_wake(base)
  return id, 1
end

-- True when `lease` still owns the job (a reaped and re-fetched job has a new lease).
local function vq_owns(job_key, lease)
  return redis.call('HGET', job_key, 'lease') == lease
end
