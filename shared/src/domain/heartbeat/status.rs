//! A heartbeat's state as `GET /api/heartbeats` shows it, derived from its hash and Redis's clock.

use serde::Serialize;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeartbeatState {
    /// Never beaten, and its first deadline has not passed (or no worker has armed it yet).
    Waiting,
    /// Beaten, and the next beat is not yet late.
    Healthy,
    /// Silent past its deadline: its incident is open, or about to be.
    Missed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeartbeatStatus {
    pub name: String,
    pub state: HeartbeatState,
    /// RFC 3339, or null when it never beat.
    pub last_beat: Option<String>,
    /// When it is missed without a beat (RFC 3339), or null when no worker has armed it yet.
    pub next_deadline: Option<String>,
    pub interval_seconds: f64,
    /// The open incident of its current outage.
    pub incident_id: Option<String>,
}

fn rfc3339(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339())
}

impl HeartbeatStatus {
    /// The status of heartbeat `name` from its hash `fields` at Redis time `now_ms`.
    pub fn from_fields(
        name: &str,
        interval: Duration,
        fields: &HashMap<String, String>,
        now_ms: i64,
    ) -> Self {
        let number = |field: &str| fields.get(field).and_then(|v| v.parse::<i64>().ok());
        let last_beat = number("last_beat_ms");
        let deadline = last_beat
            .or_else(|| number("armed_ms"))
            .map(|since| since + interval.as_millis() as i64);
        let incident_id = fields.get("incident").filter(|id| !id.is_empty()).cloned();
        let late = deadline.is_some_and(|deadline| now_ms >= deadline);
        let state = if late || incident_id.is_some() {
            HeartbeatState::Missed
        } else if last_beat.is_some() {
            HeartbeatState::Healthy
        } else {
            HeartbeatState::Waiting
        };
        Self {
            name: name.to_string(),
            state,
            last_beat: last_beat.and_then(rfc3339),
            next_deadline: deadline.and_then(rfc3339),
            interval_seconds: interval.as_secs_f64(),
            incident_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn never_armed_is_waiting_without_a_deadline() {
        let status = HeartbeatStatus::from_fields("am", MINUTE, &fields(&[]), 1_000);
        assert_eq!(status.state, HeartbeatState::Waiting);
        assert_eq!(status.next_deadline, None);
        assert_eq!(status.last_beat, None);
    }

    #[test]
    fn armed_but_never_beaten_is_waiting_then_missed() {
        let armed = fields(&[("armed_ms", "0")]);
        let waiting = HeartbeatStatus::from_fields("am", MINUTE, &armed, 59_999);
        assert_eq!(waiting.state, HeartbeatState::Waiting);
        assert_eq!(
            waiting.next_deadline.as_deref(),
            Some("1970-01-01T00:01:00+00:00")
        );
        let missed = HeartbeatStatus::from_fields("am", MINUTE, &armed, 60_000);
        assert_eq!(missed.state, HeartbeatState::Missed);
    }

    #[test]
    fn a_beat_moves_the_deadline_and_an_open_incident_is_missed() {
        let beaten = fields(&[("armed_ms", "0"), ("last_beat_ms", "50000")]);
        let healthy = HeartbeatStatus::from_fields("am", MINUTE, &beaten, 100_000);
        assert_eq!(healthy.state, HeartbeatState::Healthy);
        assert_eq!(
            healthy.last_beat.as_deref(),
            Some("1970-01-01T00:00:50+00:00")
        );
        let open = fields(&[("last_beat_ms", "50000"), ("incident", "abc")]);
        let missed = HeartbeatStatus::from_fields("am", MINUTE, &open, 60_000);
        assert_eq!(missed.state, HeartbeatState::Missed);
        assert_eq!(missed.incident_id.as_deref(), Some("abc"));
    }
}
