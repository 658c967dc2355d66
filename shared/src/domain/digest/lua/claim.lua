-- The digest job's run: claims the latest ended period for this job, and arms the next run, atomically.
-- A period is posted by the job that claimed it: a rerun of that job (a crash, a Slack error) posts it
-- again if it was not recorded as posted; another job finds it claimed and ends. Periods missed while
-- every worker was down collapse into the latest one.
-- ARGV: 1 prefix, 2 job_id (this run's), 3 configured anchor ms, 4 every_ms, 5 new_job_id
-- Returns {outcome, period end ms, next run's due ms}: outcome is post (this job must post the period) |
-- posted (already posted) | busy (claimed by another job that can still run) | early (before the first
-- period's end).
-- KEYS[1]: the digest hash, declared for Cluster routing (every key below shares its hash tag).
local prefix, job_id = ARGV[1], ARGV[2]
local key = vd_key(prefix)
local now = vq_now_ms()
local anchor = vd_anchor(prefix, ARGV[3])
local every = tonumber(ARGV[4])
-- This run is no longer the pending job: the next one is armed below.
if redis.call('HGET', key, 'job') == job_id then
  redis.call('HDEL', key, 'job')
end
local latest = vd_latest_end(anchor, every, now)
if not latest then
  vd_arm(prefix, key, ARGV[5], anchor, now)
  return {'early', '0', vq_int(anchor)}
end
local f = redis.call('HMGET', key, 'posted', 'claimed', 'claimed_by')
local outcome = 'post'
if (tonumber(f[1]) or -1) >= latest then
  outcome = 'posted'
elseif (tonumber(f[2]) or -1) >= latest and f[3] ~= job_id and vd_job_live(prefix, f[3]) then
  outcome = 'busy'
else
  redis.call('HSET', key, 'claimed', vq_int(latest), 'claimed_by', job_id)
end
local next_due = latest + every
vd_arm(prefix, key, ARGV[5], next_due, now)
return {outcome, vq_int(latest), vq_int(next_due)}
