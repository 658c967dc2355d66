-- Marks an incident as noise (a false positive) for the on-call report, or takes the mark back.
-- ARGV: prefix, id, mark (1|0), by (who marked it, as the ack's `by` is written)
-- Returns {result}: marked | already_marked | unmarked | not_marked | missing (no summary: an incident from
-- before reports, or past reports.retention_days).
-- The incident's record, while it exists, carries noise_by so that its Slack message and ack page show the mark.
-- KEYS[1]: the incident's hash, declared for Cluster routing (every key below shares its hash tag).
local prefix, id = ARGV[1], ARGV[2]
local mark = ARGV[3] == '1'
local outcome = vr_noise(prefix, id, mark, ARGV[4])
if outcome == 'missing' then
  return {'missing'}
end
if outcome == 'unchanged' then
  return {mark and 'already_marked' or 'not_marked'}
end
local key = vi_key(prefix, id)
if redis.call('EXISTS', key) == 1 then
  local now = vq_now_ms()
  if mark then
    redis.call('HSET', key, 'noise_by', ARGV[4], 'updated_ms', now)
  else
    redis.call('HDEL', key, 'noise_by')
    redis.call('HSET', key, 'updated_ms', now)
  end
  vi_slack_update(prefix, id, 'noise', now)
end
return {mark and 'marked' or 'unmarked'}
