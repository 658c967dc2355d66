-- A worker's arming of the digest (at start-up, then periodically): stores the anchor if none is stored
-- and makes sure one digest job is pending (idempotent: one job, however many workers arm).
-- ARGV: 1 prefix, 2 configured anchor ms, 3 every_ms, 4 new_job_id
-- Returns {pending job id, stored anchor ms, due ms of the next run}.
-- KEYS[1]: the digest hash, declared for Cluster routing (every key below shares its hash tag).
local prefix = ARGV[1]
local key = vd_key(prefix)
local now = vq_now_ms()
local anchor = vd_anchor(prefix, ARGV[2])
local due = vd_next_due(key, anchor, tonumber(ARGV[3]), now)
local job = vd_arm(prefix, key, ARGV[4], due, now)
return {job, vq_int(anchor), vq_int(due)}
