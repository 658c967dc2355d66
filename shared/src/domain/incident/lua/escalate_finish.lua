-- Records the outcome of StartIncident. ARGV: prefix, id, outcome (started|failed), detail (ARN or reason)
-- KEYS[1]: the incident's hash, declared for Cluster routing (every key below shares its hash tag).
local prefix, id = ARGV[1], ARGV[2]
local key = vi_key(prefix, id)
if redis.call('EXISTS', key) == 0 then
  return 0
end
local now = vq_now_ms()
if ARGV[3] == 'started' then
  if redis.call('HSETNX', key, 'aws_arn', ARGV[4]) == 0 then
    return 0
  end
  redis.call('HSET', key, 'updated_ms', now)
  vr_safely(vr_paged, prefix, id)
  vi_slack_update(prefix, id, 'escalated', now)
else
  redis.call('HSET', key, 'page_failed', ARGV[4], 'updated_ms', now)
  vi_slack_update(prefix, id, 'page_failed', now)
end
return 1
