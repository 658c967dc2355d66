-- Report helpers, prepended (after the queue library, before the incident library) to every incident and
-- heartbeat script, so that each state change updates the incident's summary and its day's totals in the same
-- atomic step. The summary is {prefix}report:incident:{id}; the totals are {prefix}report:day:{day} (counters)
-- and {prefix}report:times:{day} (time-to-ack and time-to-resolve samples), where day is the UTC day number the
-- incident opened on. docs/reports.md defines every field.
-- The summary's later times (k acked, e escalated, c closed) are milliseconds since it opened (o), and its close
-- kind (x) is r (resolved) or u (closed unresolved): Redis keeps small integers and short strings in fewer bytes.
-- Every helper but vr_open does nothing without a summary (an incident older than reports, or past their
-- retention): nothing here ever writes a key that has no expiry.

local VR_DAY_MS = 86400000
local VR_HOUR_MS = 3600000
-- A day's samples stop growing at this many bytes (about 6,000 acks and resolves); later ones are counted in
-- `samples_skipped`. A report reads each day whole: this bounds what one read costs Redis and the reader.
local VR_SAMPLES_MAX = 262144
-- A day's counters stop taking new label groups past this many fields; incidents of further groups are
-- counted under the group (other). The labels are the sender's, so their variety is too.
local VR_FIELDS_MAX = 600
local VR_OTHER = '(other)'

-- Runs a report helper so that nothing it does can fail the incident change around it: Redis does not roll a
-- script back, so an error here would leave the change half made (acked, but no Slack update queued).
-- A failed update is logged by Redis and the report misses it.
local function vr_safely(helper, ...)
  local ok, err = pcall(helper, ...)
  if not ok then
    -- A Redis error is a table (its message in `err`) on some Redis versions, a string on others.
    local reason = type(err) == 'table' and (err.err or 'unknown error') or tostring(err)
    redis.log(redis.LOG_WARNING, 'versus: the on-call report was not updated: ' .. reason)
  end
end

local function vr_summary_key(prefix, id)
  return prefix .. 'report:incident:' .. id
end

local function vr_day_key(prefix, day)
  return prefix .. 'report:day:' .. day
end

local function vr_times_key(prefix, day)
  return prefix .. 'report:times:' .. day
end

-- A sample line's free text: its separators (tab, newline) and other control characters become spaces.
local function vr_text(value)
  return (string.gsub(value or '', '%c', ' '))
end

-- The summary's opening time, day number and team, or nil when there is no summary, or when its day's totals
-- are gone (a lowered retention): a counter written then would make a key without an expiry.
local function vr_opened(prefix, id)
  local f = redis.call('HMGET', vr_summary_key(prefix, id), 'o', 't')
  if not f[1] then
    return nil
  end
  local opened = tonumber(f[1])
  local day = math.floor(opened / VR_DAY_MS)
  if redis.call('EXISTS', vr_day_key(prefix, day)) == 0 then
    return nil
  end
  return opened, day, f[2] or ''
end

-- A length-prefixed part of a field name (`5:hello`): label values are the sender's, and may hold any byte.
local function vr_part(value)
  return #value .. ':' .. value
end

-- The day's keys outlive the last summary of the day by the same retention.
local function vr_day_expiry(day, retention)
  return vq_int((day + 1) * VR_DAY_MS + retention)
end

-- A new incident. meta: {severity, alertname, receiver, team, service, heartbeat ('1' or '')};
-- retention: how long the summary and the day's totals are kept, in ms (reports.retention_days).
-- Ingest runs this for every new incident, so it costs four commands: one counter for the incident's group of
-- labels (severity, route, team, alertname; the report sums them) and one for its hour's open incidents.
local function vr_open(prefix, id, now, meta, retention)
  local day = math.floor(now / VR_DAY_MS)
  -- Before any write: a retention that is not a number fails here, leaving no summary without an expiry.
  local summary_ttl = vq_int(retention)
  local summary = vr_summary_key(prefix, id)
  local fields = {'o', vq_int(now), 's', meta[1], 'a', meta[2], 'r', meta[3]}
  if meta[4] ~= '' then
    fields[#fields + 1] = 't'
    fields[#fields + 1] = meta[4]
  end
  if meta[5] ~= '' then
    fields[#fields + 1] = 'v'
    fields[#fields + 1] = meta[5]
  end
  if meta[6] == '1' then
    fields[#fields + 1] = 'h'
    fields[#fields + 1] = '1'
  end
  redis.call('HSET', summary, unpack(fields))
  redis.call('PEXPIRE', summary, summary_ttl)
  local totals = vr_day_key(prefix, day)
  local group = 'g:' .. vr_part(meta[1]) .. vr_part(meta[3]) .. vr_part(meta[4]) .. vr_part(meta[2])
  if redis.call('HLEN', totals) >= VR_FIELDS_MAX and redis.call('HEXISTS', totals, group) == 0 then
    group = 'g:' .. vr_part(VR_OTHER) .. vr_part(VR_OTHER) .. vr_part(VR_OTHER) .. vr_part(VR_OTHER)
  end
  redis.call('HINCRBY', totals, group, 1)
  -- A counter at 1 is the first of its hour (or the key is new): only then can the expiry be missing.
  if redis.call('HINCRBY', totals, 'open:' .. math.floor((now % VR_DAY_MS) / VR_HOUR_MS), 1) == 1 then
    redis.call('PEXPIREAT', totals, vr_day_expiry(day, retention))
  end
  if meta[6] == '1' then
    redis.call('HINCRBY', totals, 'hb_miss', 1)
  end
end

-- One sample line on the day's times, which expire with its totals (the day's counters outlive every summary
-- of the day, so they exist here; were they gone, the samples would be worth nothing and are not kept).
local function vr_sample(prefix, day, line)
  local times = vr_times_key(prefix, day)
  if redis.call('STRLEN', times) + #line > VR_SAMPLES_MAX then
    redis.call('HINCRBY', vr_day_key(prefix, day), 'samples_skipped', 1)
    return
  end
  if redis.call('APPEND', times, line) == #line then
    local ttl = redis.call('PTTL', vr_day_key(prefix, day))
    if ttl > 0 then
      redis.call('PEXPIRE', times, ttl)
    else
      redis.call('DEL', times)
    end
  end
end

-- An acknowledgement in Versus; person is '' for a link ack that gave no name.
local function vr_ack(prefix, id, now, via, person)
  local opened, day, team = vr_opened(prefix, id)
  if not opened then
    return
  end
  redis.call('HSET', vr_summary_key(prefix, id), 'k', vq_int(now - opened), 'b', person, 'w', via)
  redis.call('HINCRBY', vr_day_key(prefix, day), 'acked', 1)
  vr_sample(prefix, day,
    'a\t' .. vq_int(now - opened) .. '\t' .. via .. '\t' .. vr_text(team) .. '\t' .. vr_text(person) .. '\n')
end

-- The escalation claim (escalate_begin), made once per incident.
local function vr_escalate(prefix, id, now)
  local opened, day = vr_opened(prefix, id)
  if not opened then
    return
  end
  redis.call('HSET', vr_summary_key(prefix, id), 'e', vq_int(now - opened))
  redis.call('HINCRBY', vr_day_key(prefix, day), 'escalated', 1)
end

-- The page started: StartIncident's ARN was recorded, once per incident.
local function vr_paged(prefix, id)
  local opened, day = vr_opened(prefix, id)
  if not opened then
    return
  end
  redis.call('HSET', vr_summary_key(prefix, id), 'p', '1')
  redis.call('HINCRBY', vr_day_key(prefix, day), 'paged', 1)
end

-- The incident closed: kind 'resolved' (a resolved notification, a beat) or 'unresolved' (it never resolved: the
-- group fired anew with other alerts, which is how a receiver with send_resolved: false ends an incident).
-- Called once per incident, by the script that moves it out of an open state.
local function vr_close(prefix, id, now, kind)
  local opened, day, team = vr_opened(prefix, id)
  if not opened then
    return
  end
  local summary = vr_summary_key(prefix, id)
  redis.call('HSET', summary, 'c', vq_int(now - opened), 'x', kind == 'resolved' and 'r' or 'u')
  local totals = vr_day_key(prefix, day)
  redis.call('HINCRBY', totals, 'open:' .. math.floor((opened % VR_DAY_MS) / VR_HOUR_MS), -1)
  if kind == 'resolved' then
    redis.call('HINCRBY', totals, 'resolved', 1)
    local acked, escalated = unpack(redis.call('HMGET', summary, 'k', 'e'))
    if not acked and not escalated then
      redis.call('HINCRBY', totals, 'resolved_without_ack', 1)
    end
    vr_sample(prefix, day, 'r\t' .. vq_int(now - opened) .. '\t' .. vr_text(team) .. '\n')
  else
    redis.call('HINCRBY', totals, 'closed_unresolved', 1)
  end
end

-- The day's noise counters, a mark's (step 1) or an unmark's (-1). The alertname's counter is a new field only
-- while the day has room (see VR_FIELDS_MAX); past that it is (other), for the mark and its unmark alike.
local function vr_noise_count(prefix, day, alertname, step)
  local totals = vr_day_key(prefix, day)
  local field = 'noise:alert:' .. alertname
  if redis.call('HLEN', totals) >= VR_FIELDS_MAX and redis.call('HEXISTS', totals, field) == 0 then
    field = 'noise:alert:' .. VR_OTHER
  end
  redis.call('HINCRBY', totals, 'noise', step)
  redis.call('HINCRBY', totals, field, step)
end

-- Marks (mark true) or unmarks the incident as noise. Returns changed | unchanged | missing.
-- The mark itself is the summary's `n`; the day's counters follow it through vr_safely, so no failure of
-- theirs can leave a mark that a retry would find made but that nothing else shows.
local function vr_noise(prefix, id, mark, by)
  local opened, day = vr_opened(prefix, id)
  if not opened then
    return 'missing'
  end
  local summary = vr_summary_key(prefix, id)
  local f = redis.call('HMGET', summary, 'n', 'a')
  local marked = f[1] == '1'
  if marked == mark then
    return 'unchanged'
  end
  if mark then
    redis.call('HSET', summary, 'n', '1', 'nb', by)
  else
    redis.call('HDEL', summary, 'n', 'nb')
  end
  vr_safely(vr_noise_count, prefix, day, f[2] or '', mark and 1 or -1)
  return 'changed'
end
