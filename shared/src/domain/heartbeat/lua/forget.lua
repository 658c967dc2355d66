-- The check of a heartbeat no longer configured ends: its state is dropped, so a heartbeat re-added later
-- starts a fresh clock instead of inheriting a days-old last beat or an outage already recorded. Only the
-- hash whose pending check is this job goes: a worker with a newer configuration may have armed another.
-- ARGV: 1 prefix, 2 name, 3 job_id
-- Returns 1 when the state was dropped, 0 when another check owns it.
-- KEYS[1]: the heartbeat's hash, declared for Cluster routing.
local key = vh_key(ARGV[1], ARGV[2])
if redis.call('HGET', key, 'check_job') == ARGV[3] then
  redis.call('DEL', key)
  return 1
end
return 0
