-- Shared by every queue script (prepended to each). All times are Redis server time in milliseconds, so
-- API and worker hosts with skewed clocks still agree on when a job is due.
local function vq_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Decimal text of an integral number (a millisecond time, a TTL). A Lua number given to redis.call is
-- formatted with "%.14g", which for a 13-digit timestamp costs glibc's multi-precision printf about as
-- much as a Redis command; "%d" costs a fraction of that.
local function vq_int(n)
  return string.format('%d', n)
end

-- Keys are derived from the prefix (ARGV[1]). In Cluster mode that prefix carries Versus's hash tag, so every
-- derived key, like the one each script declares in KEYS[1], lives in the slot the script runs on.
local function vq_base(prefix, queue)
  return prefix .. 'queue:' .. queue .. ':'
end

-- One more wake-up token for the queue's fetchers, unless 32 are waiting already (that bounds the list).
-- LLEN is a read: one write to propagate and persist instead of LPUSH + LTRIM.
local function vq_wake(base)
  if redis.call('LLEN', base .. 'wake') < 32 then
    redis.call('LPUSH', base .. 'wake', '1')
  end
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
    redis.call('SET', idem, id, 'PX', vq_int(idem_ttl_ms))
  end
  local due_ms = now_ms + delay_ms
  -- Only a job due before every waiting one needs a wake-up: a fetcher sleeps until the earliest due job
  -- (or it was woken for it) and, having fetched, goes on until nothing is due and then sleeps until the
  -- next, so a job due no earlier is taken in turn. An escalation queued behind others costs no token.
  local due_text = vq_int(due_ms)
  local wake = redis.call('ZCOUNT', base .. 'due', '-inf', due_text) == 0
  redis.call('HSET', base .. 'job:' .. id, 'payload', payload, 'attempts', '0', 'state', 'due',
    'due_ms', due_text, 'enqueued_ms', vq_int(now_ms))
  redis.call('ZADD', base .. 'due', due_text, id)
  if wake then
    vq_wake(base)
  end
  return id, 1
end

-- Keeps exactly one pending job of `queue` for an owner (a heartbeat's check, the digest): the hash `owner`
-- names it in `field`. Returns the pending job's id, due no later than `due_ms`. A job that is running, or
-- waiting, serves (moved earlier when it waits for later: a shorter interval takes effect now); one that
-- finished or was dead-lettered is replaced by a new job `job_id` with `payload`.
local function vq_keep_one(prefix, queue, owner, field, job_id, payload, due_ms, now)
  local base = vq_base(prefix, queue)
  local current = redis.call('HGET', owner, field)
  if current then
    local job = base .. 'job:' .. current
    local state = redis.call('HGET', job, 'state')
    if state == 'inflight' then
      return current
    end
    if state == 'due' then
      local due = tonumber(redis.call('ZSCORE', base .. 'due', current) or due_ms)
      if due > due_ms then
        redis.call('ZADD', base .. 'due', vq_int(due_ms), current)
        redis.call('HSET', job, 'due_ms', vq_int(due_ms))
        vq_wake(base)
      end
      return current
    end
  end
  vq_push(prefix, queue, job_id, payload, math.max(0, due_ms - now), '', 0, now)
  redis.call('HSET', owner, field, job_id)
  return job_id
end

-- True when `lease` still owns the job (a reaped and re-fetched job has a new lease).
local function vq_owns(job_key, lease)
  return redis.call('HGET', job_key, 'lease') == lease
end
