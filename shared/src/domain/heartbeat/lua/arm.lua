-- A worker's start-up arming of a configured heartbeat: the first arming starts the clock of one that never
-- beats, and a pending check is made sure of (idempotent: one job, however many workers start).
-- ARGV: 1 prefix, 2 name, 3 interval_ms, 4 new_job_id
-- Returns the pending check job's id.
-- KEYS[1]: the heartbeat's hash, declared for Cluster routing (every key below shares its hash tag).
local prefix, name = ARGV[1], ARGV[2]
local key = vh_key(prefix, name)
local now = vq_now_ms()
redis.call('HSETNX', key, 'armed_ms', vq_int(now))
local f = redis.call('HMGET', key, 'last_beat_ms', 'armed_ms')
local since = tonumber(f[1] or f[2])
return vh_arm(prefix, key, name, ARGV[4], since + tonumber(ARGV[3]), now)
