-- The escalate job's claim. ARGV: prefix, id
-- Returns {decision, plan_arn, aws_arn, due_ms}: decision is start | done | suppressed_ack | suppressed_resolve | missing
-- `start` is returned again for an escalated incident with no AWS incident recorded yet (a retried job),
-- which is safe because StartIncident's clientToken makes the AWS call idempotent.
-- KEYS[1]: the incident's hash, declared for Cluster routing (every key below shares its hash tag).
local prefix, id = ARGV[1], ARGV[2]
local key = vi_key(prefix, id)
local f = redis.call('HMGET', key, 'state', 'plan_arn', 'aws_arn', 'due_ms')
local state = f[1]
if not state then
  return {'missing', '', '', '0'}
end
if state == 'pending' then
  local now = vq_now_ms()
  redis.call('HSET', key, 'state', 'escalated', 'escalated_ms', now, 'updated_ms', now)
  vr_safely(vr_escalate, prefix, id, now)
  return {'start', f[2] or '', '', f[4] or '0'}
elseif state == 'escalated' then
  if f[3] and f[3] ~= '' then
    return {'done', f[2] or '', f[3], f[4] or '0'}
  end
  return {'start', f[2] or '', '', f[4] or '0'}
elseif state == 'acked' then
  return {'suppressed_ack', '', '', f[4] or '0'}
elseif state == 'resolved' then
  -- Resolved after the escalation was claimed: finish recording it (idempotent), never start a new one.
  local from = redis.call('HGET', key, 'resolved_from')
  if from == 'escalated' then
    if f[3] and f[3] ~= '' then
      return {'done', f[2] or '', f[3], f[4] or '0'}
    end
    return {'start', f[2] or '', '', f[4] or '0'}
  end
  return {'suppressed_resolve', '', '', f[4] or '0'}
end
return {'missing', '', '', '0'}
