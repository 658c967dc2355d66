-- Records the Slack message of an incident once; returns the ts that is recorded (the earlier one wins).
-- ARGV: prefix, id, channel, ts
-- KEYS[1]: the incident's hash, declared for Cluster routing (every key below shares its hash tag).
local key = vi_key(ARGV[1], ARGV[2])
if redis.call('EXISTS', key) == 0 then
  return ''
end
if redis.call('HSETNX', key, 'slack_ts', ARGV[4]) == 1 then
  redis.call('HSET', key, 'slack_channel', ARGV[3])
  return ARGV[4]
end
return redis.call('HGET', key, 'slack_ts')
