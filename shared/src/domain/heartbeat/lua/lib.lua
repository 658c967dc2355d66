-- Heartbeat helpers, prepended (after the queue and incident libraries) to every heartbeat script.
-- A heartbeat is a hash at {prefix}heartbeat:{name}: last_beat_ms, armed_ms (when a worker first armed it,
-- the start of the silence of one that never beat), check_job (its pending check job), incident (the open
-- incident of its current outage) and missed_for (the start of the outage that incident is for).

local function vh_key(prefix, name)
  return prefix .. 'heartbeat:' .. name
end

-- Makes sure the heartbeat has exactly one pending check job, due no later than `due_ms`, and returns its
-- id. A job that is running, or waiting, serves; one that finished or was dead-lettered is replaced by a new
-- job `job_id`, which is how a beat re-arms a check that failed for good.
local function vh_arm(prefix, key, name, job_id, due_ms, now)
  local base = vq_base(prefix, 'heartbeat_check')
  local current = redis.call('HGET', key, 'check_job')
  if current then
    local job = base .. 'job:' .. current
    local state = redis.call('HGET', job, 'state')
    if state == 'inflight' then
      return current
    end
    if state == 'due' then
      local due = tonumber(redis.call('ZSCORE', base .. 'due', current) or due_ms)
      -- A shorter interval than the one the job was scheduled for (a config change) takes effect now.
      if due > due_ms then
        redis.call('ZADD', base .. 'due', vq_int(due_ms), current)
        redis.call('HSET', job, 'due_ms', vq_int(due_ms))
        vq_wake(base)
      end
      return current
    end
  end
  vq_push(prefix, 'heartbeat_check', job_id, '{"heartbeat":"' .. name .. '"}', math.max(0, due_ms - now), '', 0, now)
  redis.call('HSET', key, 'check_job', job_id)
  return job_id
end
