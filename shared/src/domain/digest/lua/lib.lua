-- Digest schedule helpers, prepended (after the queue library) to every digest script.
-- The schedule is two keys: {prefix}digest:anchor, the first period's end in ms, set once (SET NX: the first
-- writer wins, so workers can never run two schedules), and the hash {prefix}digest: job (the pending
-- digest job), claimed (the end, ms, of the latest claimed period), claimed_by (the job that claimed it),
-- posted (the end of the latest posted period) and posted_ms (when it was recorded).
-- Periods are named by their end in ms rather than by their number: a change of reports.digest.every
-- renumbers the periods, but an end is an instant whatever the period.

local function vd_key(prefix)
  return prefix .. 'digest'
end

-- The stored anchor; `configured` becomes it if none is stored yet. A later change of the configuration
-- does not move it (the worker warns about the difference).
local function vd_anchor(prefix, configured)
  local key = prefix .. 'digest:anchor'
  redis.call('SET', key, configured, 'NX')
  return tonumber(redis.call('GET', key))
end

-- The end of the latest period that has ended by `now`, or nil before the first period's end.
local function vd_latest_end(anchor, every, now)
  if now < anchor then
    return nil
  end
  return anchor + math.floor((now - anchor) / every) * every
end

-- True while the digest job `id` can still run (waiting, or running under a lease).
local function vd_job_live(prefix, id)
  if not id then
    return false
  end
  local state = redis.call('HGET', vq_base(prefix, 'digest') .. 'job:' .. id, 'state')
  return state == 'due' or state == 'inflight'
end

-- When the next digest job is due: at once when the latest ended period was neither posted nor claimed
-- (missed while every worker was down: it is posted late, once), else at the next period's end. A period
-- claimed by a job that was dead-lettered is not claimed again here: requeuing that job posts it.
local function vd_next_due(key, anchor, every, now)
  local latest = vd_latest_end(anchor, every, now)
  if not latest then
    return anchor
  end
  local f = redis.call('HMGET', key, 'posted', 'claimed')
  if (tonumber(f[1]) or -1) >= latest or (tonumber(f[2]) or -1) >= latest then
    return latest + every
  end
  return now
end

-- Makes sure exactly one digest job is pending, due no later than `due_ms`, and returns its id.
local function vd_arm(prefix, key, job_id, due_ms, now)
  return vq_keep_one(prefix, 'digest', key, 'job', job_id, '{}', due_ms, now)
end
