-- Heartbeat helpers, prepended (after the queue and incident libraries) to every heartbeat script.
-- A heartbeat is a hash at {prefix}heartbeat:{name}: last_beat_ms, armed_ms (when a worker first armed it,
-- the start of the silence of one that never beat), check_job (its pending check job), incident (the open
-- incident of its current outage) and missed_for (the start of the outage that incident is for).

local function vh_key(prefix, name)
  return prefix .. 'heartbeat:' .. name
end

-- Makes sure the heartbeat has exactly one pending check job, due no later than `due_ms`, and returns its
-- id; a beat re-arms this way a check that failed for good.
local function vh_arm(prefix, key, name, job_id, due_ms, now)
  return vq_keep_one(prefix, 'heartbeat_check', key, 'check_job', job_id, '{"heartbeat":"' .. name .. '"}',
    due_ms, now)
end
