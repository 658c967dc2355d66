-- Incident helpers, prepended (after the queue library) to every incident script.
-- An incident is a hash at {prefix}incident:{id}; its state moves only inside these scripts:
--   pending -> acked | escalated | resolved,  acked -> resolved,  escalated -> resolved.

local function vi_key(prefix, id)
  return prefix .. 'incident:' .. id
end

local function vi_job(incident_id, extra)
  return '{"incident_id":"' .. incident_id .. '"' .. (extra or '') .. '}'
end

-- Queues a Slack update for the incident (the API never calls Slack itself).
local function vi_slack_update(prefix, id, reason, now)
  vq_push(prefix, 'slack_update', id .. '-' .. reason .. '-' .. now, vi_job(id, ',"reason":"' .. reason .. '"'), 0, '', 0, now)
end

local function vi_is_open(state)
  return state == 'pending' or state == 'acked' or state == 'escalated'
end

-- Resolves an open incident (`from_state` is its state now): its Slack message turns green, a pending page
-- finds it resolved and is not sent, and an AWS incident it started is resolved when `resolve_aws` is set.
-- `extra` holds more fields to write with the change (field, value, ...). `close_kind` is what the on-call
-- report counts it as: 'resolved', or 'unresolved' when the incident ends without its alerts resolving.
local function vi_resolve(prefix, id, from_state, now, resolve_aws, retention, extra, close_kind)
  local fields = {'state', 'resolved', 'resolved_ms', now, 'updated_ms', now, 'resolved_from', from_state}
  for _, value in ipairs(extra) do
    fields[#fields + 1] = value
  end
  redis.call('HSET', vi_key(prefix, id), unpack(fields))
  vr_safely(vr_close, prefix, id, now, close_kind)
  vi_slack_update(prefix, id, 'resolved', now)
  if from_state == 'escalated' and resolve_aws then
    vq_push(prefix, 'aws_resolve', id, vi_job(id), 0, id, retention, now)
  end
end

-- Writes a new incident (`fields`, field, value, ...) and queues its Slack message and, when `page` is set
-- ({wait_ms, plan_arn}), its escalation after the wait. Its id is new, so its jobs need no idempotency keys.
-- `report` ({meta, retention_ms}, see vr_open) opens its summary for the on-call report; nil opens none.
local function vi_create(prefix, id, fields, page, retention, now, report)
  if page then
    fields[#fields + 1] = 'due_ms'
    fields[#fields + 1] = vq_int(now + page[1])
    fields[#fields + 1] = 'plan_arn'
    fields[#fields + 1] = page[2]
  end
  local key = vi_key(prefix, id)
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIRE', key, vq_int(retention))
  if report then
    vr_safely(vr_open, prefix, id, now, report[1], report[2])
  end
  vq_push(prefix, 'notify', id, vi_job(id), 0, '', 0, now)
  if page then
    vq_push(prefix, 'escalate', id, vi_job(id), page[1], '', 0, now)
  end
end
