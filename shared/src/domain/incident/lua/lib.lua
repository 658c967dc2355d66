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
