//! The message of a missed heartbeat's incident, written by Versus instead of the message template (which
//! is made for alerts): which heartbeat, when it last beat, and what to check.

use chrono::{TimeZone, Utc};
use serde_json::Value;
use versus_shared::domain::incident::Incident;
use versus_shared::domain::mrkdwn;

/// What `check.lua` stores as the incident's payload.
struct Missed {
    heartbeat: String,
    last_beat_ms: Option<i64>,
    armed_ms: Option<i64>,
    interval_ms: i64,
    deadline_ms: i64,
}

impl Missed {
    fn parse(payload: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(payload).ok()?;
        let number = |field: &str| value.get(field).and_then(Value::as_f64).map(|n| n as i64);
        Some(Self {
            heartbeat: value.get("heartbeat")?.as_str()?.to_string(),
            last_beat_ms: number("last_beat_ms"),
            armed_ms: number("armed_ms"),
            interval_ms: number("interval_ms")?,
            deadline_ms: number("deadline_ms")?,
        })
    }
}

fn at(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "an unknown time".into())
}

fn interval(ms: i64) -> String {
    let seconds = ms as f64 / 1000.0;
    if seconds >= 60.0 {
        format!("{} min", (seconds / 60.0 * 100.0).round() / 100.0)
    } else {
        format!("{seconds} s")
    }
}

/// The text of a heartbeat incident, or `None` when the incident is not one (or its payload is unreadable).
pub fn heartbeat_text(incident: &Incident, public_host: &str) -> Option<String> {
    if incident.source != versus_shared::domain::heartbeat::SOURCE {
        return None;
    }
    let missed = Missed::parse(&incident.payload)?;
    let name = mrkdwn::escape(&missed.heartbeat);
    let every = interval(missed.interval_ms);
    let text = match missed.last_beat_ms {
        Some(last) => format!(
            "🚨 *Heartbeat {name} missed*\n\
             Its last beat was at {last}; a beat is expected every {every}, so it was due by {deadline}.\n\
             *What to check:* is the sender running (Alertmanager, Prometheus and its always-firing Watchdog \
             rule)? Can it still reach Versus (network policies, ingress, DNS)? Alertmanager logs each failed \
             webhook.",
            last = at(last),
            deadline = at(missed.deadline_ms),
        ),
        None => format!(
            "🚨 *Heartbeat {name} missed: no beat was ever received*\n\
             It has been monitored since {since} and a beat is expected every {every}.\n\
             *What to check:* the receiver URL (`{host}/api/heartbeats/{name}`), the credentials (a `401` \
             from ingest_auth never counts as a beat) and the route that sends the Watchdog to that receiver \
             (group_interval and repeat_interval of 1m).",
            since = at(missed.armed_ms.unwrap_or(missed.deadline_ms - missed.interval_ms)),
            host = mrkdwn::escape(public_host.trim_end_matches('/')),
        ),
    };
    Some(text)
}
