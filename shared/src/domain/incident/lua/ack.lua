-- Acknowledges an incident. ARGV: prefix, id, by, via (link|slack), person (the report's name for who acked:
-- '' for a link ack that gave no name, slack:{user id} for a Slack ack)
-- Returns {result, state, time_ms, detail}: result is acked | already_acked | escalated | resolved | missing
-- KEYS[1]: the incident's hash, declared for Cluster routing (every key below shares its hash tag).
local prefix, id = ARGV[1], ARGV[2]
local key = vi_key(prefix, id)
local f = redis.call('HMGET', key, 'state', 'acked_ms', 'acked_by', 'aws_arn', 'escalated_ms', 'resolved_ms', 'created_ms', 'page_failed')
local state = f[1]
if not state then
  return {'missing', '', '0', ''}
end
-- A page that failed for good leaves the incident escalated without an AWS incident: a person can still own it.
local failed_page = state == 'escalated' and (not f[4] or f[4] == '') and f[8] and f[8] ~= ''
if state == 'pending' or failed_page then
  local now = vq_now_ms()
  redis.call('HSET', key, 'state', 'acked', 'acked_ms', now, 'acked_by', ARGV[3], 'acked_via', ARGV[4], 'updated_ms', now)
  vr_safely(vr_ack, prefix, id, now, ARGV[4], ARGV[5] or '')
  vi_slack_update(prefix, id, 'acked', now)
  return {'acked', 'acked', tostring(now), f[7] or '0'}
elseif state == 'acked' then
  return {'already_acked', state, f[2] or '0', f[3] or ''}
elseif state == 'escalated' then
  return {'escalated', state, f[5] or '0', f[4] or ''}
else
  return {'resolved', state, f[6] or '0', ''}
end
