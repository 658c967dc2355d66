-- One webhook's incident, written atomically with its jobs in a single round trip.
-- ARGV: 1 prefix, 2 new_id, 3 request_key ('' = none), 4 request_ttl_ms, 5 dedup_key ('' = none),
--       6 retention_ms, 7 status (firing|resolved), 8 oncall (0|1), 9 wait_ms, 10 plan_arn,
--       11 payload (JSON, zstd-compressed unless redis.compress_payloads is off), 12 source, 13 severity,
--       14 title, 15 alert_signature, 16 resolve_aws (0|1),
--       17 occurrences (digests of the payload's alerts, one per line),
--       18 legacy_dedup_key ('' = none; the key an earlier release gave the same group, when it differs)
--       19 unknown_params (the request's query parameters Versus does not know, JSON; '' = none)
--       20 slack_channel (the channel the request named with ?slack_channel_id; '' = the configured one)
--       21 alertname, 22 receiver, 23 team, 24 service (the on-call report's labels; '' = none),
--       25 report_retention_ms (reports.retention_days)
-- Returns {outcome, incident_id, previous_state, open_ms}: outcome is created | updated | unchanged | resolved |
-- duplicate_request (a retry of a request seen within request_ttl, unless it fires again what has resolved
-- since); open_ms is how long a resolved incident was open (for time-to-resolve).
-- KEYS[1]: the new incident's hash, declared for Cluster routing (every key below shares its hash tag).
local prefix, new_id = ARGV[1], ARGV[2]
local now = vq_now_ms()
local retention = tonumber(ARGV[6])

local request = ARGV[3] ~= '' and (prefix .. 'request:' .. ARGV[3]) or false
local dedup = ARGV[5] ~= '' and (prefix .. 'dedup:' .. ARGV[5]) or ''
-- Both look-ups in one command: every ingest makes them.
local seen, open_id = false, false
if request and dedup ~= '' then
  local found = redis.call('MGET', request, dedup)
  seen, open_id = found[1], found[2]
elseif request then
  seen = redis.call('GET', request)
elseif dedup ~= '' then
  open_id = redis.call('GET', dedup)
end

-- A firing request like one whose incident has resolved since is the alert firing again, not a retry.
if seen and not (ARGV[7] ~= 'resolved' and redis.call('HGET', vi_key(prefix, seen), 'state') == 'resolved') then
  return {'duplicate_request', seen, '', ''}
end

local function remember_request(id)
  if request then
    redis.call('SET', request, id, 'PX', ARGV[4])
  end
end

local open_state = ''
if open_id then
  open_state = redis.call('HGET', vi_key(prefix, open_id), 'state') or ''
  if not vi_is_open(open_state) then
    open_id = false
  end
end

-- An incident an earlier release opened under the group's old, ambiguous key is joined (and that key goes
-- when it closes), so no resolve misses it after an upgrade; new incidents are keyed only by ARGV[5].
local open_key = dedup
if not open_id and ARGV[18] ~= '' then
  local legacy = prefix .. 'dedup:' .. ARGV[18]
  local legacy_id = redis.call('GET', legacy)
  if legacy_id then
    local legacy_state = redis.call('HGET', vi_key(prefix, legacy_id), 'state') or ''
    if vi_is_open(legacy_state) then
      open_id, open_state, open_key = legacy_id, legacy_state, legacy
    end
  end
end

-- Alertmanager re-sends an open group with the same alerts (same fingerprint and startsAt), and reports the
-- ones that stopped (as resolved) when send_resolved is on. A firing notification that names none of the
-- alerts the open incident has seen means that those all ended without Versus hearing of it (a receiver with
-- send_resolved: false, or a resolved notification that was lost) and the group fired anew: resolve the stale
-- incident and open a new one below, which notifies and pages again.
-- The API sends the alerts of the payload as one digest of fingerprint@startsAt per line (ARGV[17]) and the
-- record keeps them as `occurrences` (the stored payload is compressed, so Lua cannot read it). A record
-- from before that field holds its payload as JSON text: the same digests are derived from it.
local function legacy_occurrences(payload)
  if not string.find(payload, '^%s*{') then
    return ''
  end
  local ok, body = pcall(cjson.decode, payload)
  if not ok or type(body) ~= 'table' or type(body.alerts) ~= 'table' then
    return ''
  end
  local lines = {}
  for _, alert in ipairs(body.alerts) do
    if type(alert) == 'table' and type(alert.fingerprint) == 'string' and type(alert.startsAt) == 'string' then
      lines[#lines + 1] = string.sub(redis.sha1hex(alert.fingerprint .. '@' .. alert.startsAt), 1, 16)
    end
  end
  return table.concat(lines, '\n')
end
local function occurrence_set(text)
  local set, count = {}, 0
  for occurrence in string.gmatch(text, '[^\n]+') do
    set[occurrence] = true
    count = count + 1
  end
  return set, count
end
if open_id and ARGV[7] ~= 'resolved' and ARGV[12] == 'alertmanager' then
  local key = vi_key(prefix, open_id)
  local stored = redis.call('HGET', key, 'occurrences') or legacy_occurrences(redis.call('HGET', key, 'payload') or '')
  local seen, seen_count = occurrence_set(stored)
  local fresh, fresh_count = occurrence_set(ARGV[17])
  local overlap = false
  for occurrence in pairs(fresh) do
    if seen[occurrence] then
      overlap = true
      break
    end
  end
  if seen_count > 0 and fresh_count > 0 and not overlap then
    vi_resolve(prefix, open_id, open_state, now, ARGV[16] == '1', retention, {'resolved_by', 'fired_anew'},
      'unresolved')
    redis.call('DEL', open_key)
    open_id = false
  end
end

if open_id then
  local key = vi_key(prefix, open_id)
  if ARGV[7] == 'resolved' then
    vi_resolve(prefix, open_id, open_state, now, ARGV[16] == '1', retention,
      {'payload', ARGV[11], 'occurrences', ARGV[17]}, 'resolved')
    redis.call('DEL', open_key)
    remember_request(open_id)
    local created = tonumber(redis.call('HGET', key, 'created_ms') or now)
    return {'resolved', open_id, open_state, tostring(now - created)}
  end
  local previous = redis.call('HGET', key, 'alert_signature') or ''
  if previous ~= ARGV[15] then
    -- Kept so that the Slack update can say which alerts started or stopped firing.
    redis.call('HSET', key, 'previous_payload', redis.call('HGET', key, 'payload') or '')
  end
  redis.call('HSET', key, 'payload', ARGV[11], 'occurrences', ARGV[17], 'updated_ms', now, 'alert_signature',
    ARGV[15])
  redis.call('HINCRBY', key, 'resends', 1)
  local outcome = 'unchanged'
  if previous ~= ARGV[15] then
    vi_slack_update(prefix, open_id, 'alerts_changed', now)
    outcome = 'updated'
  end
  remember_request(open_id)
  return {outcome, open_id, open_state, ''}
end

-- A new incident. A resolved payload with nothing open is posted as a plain message and never pages.
-- Its id was made for this request (a retried request is caught above).
local resolved = ARGV[7] == 'resolved'
local oncall = (not resolved) and ARGV[8] == '1'
local now_text = vq_int(now)
-- Sixteen fields once posted to Slack: a seventeenth would double the hash's table (docs/performance.md),
-- so nothing is stored that no reader needs (the dedup key and the
-- payload's status are in the request; the state says whether it resolved).
local fields = {'id', new_id, 'state', resolved and 'resolved' or 'pending', 'created_ms', now_text,
  'updated_ms', now_text, 'oncall', oncall and '1' or '0', 'payload', ARGV[11], 'source', ARGV[12],
  'severity', ARGV[13], 'title', ARGV[14], 'alert_signature', ARGV[15], 'occurrences', ARGV[17]}
if resolved then
  fields[#fields + 1] = 'resolved_ms'
  fields[#fields + 1] = now_text
end
-- Only when there are any: most requests have none, and the hash stays at sixteen fields.
if ARGV[19] ~= '' then
  fields[#fields + 1] = 'unknown_params'
  fields[#fields + 1] = ARGV[19]
end
-- The requested channel goes where the posted message's channel will be recorded, so that the post, its updates,
-- thread replies and notices all go there, and a record without it reads as before.
if (ARGV[20] or '') ~= '' then
  fields[#fields + 1] = 'slack_channel'
  fields[#fields + 1] = ARGV[20]
end
-- A resolved notification with nothing open is no incident anyone handled: the report leaves it out.
local report = (not resolved) and {{ARGV[13], ARGV[21], ARGV[22], ARGV[23], ARGV[24], ''}, tonumber(ARGV[25])} or nil
vi_create(prefix, new_id, fields, oncall and {tonumber(ARGV[9]), ARGV[10]} or nil, retention, now, report)
if dedup ~= '' and not resolved then
  redis.call('SET', dedup, new_id, 'PX', ARGV[6])
end
remember_request(new_id)
return {'created', new_id, '', ''}
