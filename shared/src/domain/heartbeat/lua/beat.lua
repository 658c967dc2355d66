-- A beat: records its time, resolves the incident of the outage it ends, and makes sure a check is pending.
-- ARGV: 1 prefix, 2 name, 3 interval_ms, 4 new_job_id (used only if no check is pending), 5 resolve_aws (0|1),
--       6 retention_ms
-- Returns {now_ms, resolved incident id or ''}.
-- KEYS[1]: the heartbeat's hash, declared for Cluster routing (every key below shares its hash tag).
local prefix, name = ARGV[1], ARGV[2]
local key = vh_key(prefix, name)
local now = vq_now_ms()
local incident = redis.call('HGET', key, 'incident')
redis.call('HSET', key, 'last_beat_ms', vq_int(now))
local resolved = ''
if incident then
  local state = redis.call('HGET', vi_key(prefix, incident), 'state') or ''
  if vi_is_open(state) then
    vi_resolve(prefix, incident, state, now, ARGV[5] == '1', tonumber(ARGV[6]), {'resolved_by', 'heartbeat'},
      'resolved')
    resolved = incident
  end
  redis.call('HDEL', key, 'incident')
end
vh_arm(prefix, key, name, ARGV[4], now + tonumber(ARGV[3]), now)
return {now, resolved}
