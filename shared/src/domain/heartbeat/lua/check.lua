-- The check job's run: atomic check-and-open. If the heartbeat has been silent past its deadline and no
-- incident was opened for this silence, it opens one exactly as ingest does (Slack message, then a page after
-- the wait); otherwise it re-arms the check for the deadline. A rerun (a crashed worker) or a second worker
-- finds the outage's incident recorded, so each outage opens at most one incident.
-- ARGV: 1 prefix, 2 name, 3 job_id (this run's), 4 interval_ms, 5 page (0|1), 6 wait_ms, 7 plan_arn,
--       8 slack_channel ('' = the configured one), 9 retention_ms, 10 new_incident_id, 11 new_job_id,
--       12 title (missed after beating), 13 title (never beaten), 14 report_retention_ms (reports.retention_days)
-- Returns {outcome, detail, since_ms, deadline_ms}: outcome is healthy (detail: the next check job) |
-- opened (detail: the new incident) | open (detail: the outage's incident) | superseded (another check is
-- pending: this one is a leftover and ends).
-- KEYS[1]: the heartbeat's hash, declared for Cluster routing (every key below shares its hash tag).
local prefix, name, job_id = ARGV[1], ARGV[2], ARGV[3]
local key = vh_key(prefix, name)
local now = vq_now_ms()
local f = redis.call('HMGET', key, 'last_beat_ms', 'armed_ms', 'check_job', 'missed_for', 'incident')
if f[3] and f[3] ~= job_id then
  local state = redis.call('HGET', vq_base(prefix, 'heartbeat_check') .. 'job:' .. f[3], 'state')
  if state == 'due' or state == 'inflight' then
    return {'superseded', f[3], '0', '0'}
  end
end
if not f[1] and not f[2] then
  f[2] = vq_int(now)
  redis.call('HSET', key, 'armed_ms', f[2])
end
local since = tonumber(f[1] or f[2])
local deadline = since + tonumber(ARGV[4])
redis.call('HDEL', key, 'check_job')
if now < deadline then
  local next_job = vh_arm(prefix, key, name, ARGV[11], deadline, now)
  return {'healthy', next_job, vq_int(since), vq_int(deadline)}
end
if f[4] == vq_int(since) then
  return {'open', f[5] or '', vq_int(since), vq_int(deadline)}
end

local id = ARGV[10]
local now_text = vq_int(now)
local payload = cjson.encode({heartbeat = name, last_beat_ms = f[1] and since or cjson.null,
  armed_ms = tonumber(f[2] or since), interval_ms = tonumber(ARGV[4]), deadline_ms = deadline})
local fields = {'id', id, 'state', 'pending', 'created_ms', now_text, 'updated_ms', now_text,
  'oncall', ARGV[5], 'payload', payload, 'source', 'heartbeat', 'severity', 'critical',
  'title', f[1] and ARGV[12] or ARGV[13], 'alert_signature', name}
if ARGV[8] ~= '' then
  fields[#fields + 1] = 'slack_channel'
  fields[#fields + 1] = ARGV[8]
end
vi_create(prefix, id, fields, ARGV[5] == '1' and {tonumber(ARGV[6]), ARGV[7]} or nil, tonumber(ARGV[9]), now,
  {{'critical', name, 'heartbeat', '', '', '1'}, tonumber(ARGV[14])})
redis.call('HSET', key, 'incident', id, 'missed_for', vq_int(since))
return {'opened', id, vq_int(since), vq_int(deadline)}
