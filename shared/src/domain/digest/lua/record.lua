-- Records that the period ending at ARGV[2] was posted (after Slack accepted it), so that no rerun posts
-- it again. An older period never moves the record back.
-- ARGV: 1 prefix, 2 period end ms
-- Returns 1 when recorded, 0 when a later period was recorded already.
-- KEYS[1]: the digest hash, declared for Cluster routing.
local key = vd_key(ARGV[1])
local period = tonumber(ARGV[2])
if (tonumber(redis.call('HGET', key, 'posted')) or -1) >= period then
  return 0
end
redis.call('HSET', key, 'posted', vq_int(period), 'posted_ms', vq_int(vq_now_ms()))
return 1
