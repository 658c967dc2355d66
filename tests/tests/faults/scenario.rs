//! What the load generator sends: a seeded plan of incidents (plain, on-call left alone, on-call
//! acknowledged, on-call resolved, some re-sent), each one an Alertmanager webhook with its own group
//! and a unique marker that the Slack message shows, so the check can find each incident's post.

use serde_json::Value;
use versus_tests::alertmanager_webhook::{self, Notification, NotifiedAlert};

/// A small, seedable generator (SplitMix64): the same seed replays the same plan and fault moments.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// What the sender expects of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No on-call: a Slack message, never a page.
    Plain,
    /// On-call, left alone: exactly one page once the wait is over.
    Unacked,
    /// On-call, acknowledged through the ack link soon after it was accepted.
    Acked,
    /// On-call, resolved (Alertmanager `status: resolved`, same group) soon after it was accepted.
    Resolved,
}

/// On-call waits, in minutes (`oncall_wait_minutes`): 3 s for incidents left alone, 6 s for those that
/// are acknowledged or resolved, so their ack or resolve normally lands in time even through retries.
pub const UNACKED_WAIT_MINUTES: f64 = 0.05;
pub const HANDLED_WAIT_MINUTES: f64 = 0.1;

/// One planned incident.
#[derive(Debug, Clone)]
pub struct Planned {
    pub idx: usize,
    pub marker: String,
    pub kind: Kind,
    /// Which API to send to first (0 or 1).
    pub api: usize,
    /// Send the firing payload again (identical when `resend_identical`, else with a changed annotation).
    pub resend: bool,
    pub resend_identical: bool,
    /// Pause before the ack, resolve or re-send, in milliseconds.
    pub follow_up_ms: u64,
}

impl Planned {
    pub fn new(idx: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ (idx as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        let roll = rng.unit();
        let kind = if roll < 0.40 {
            Kind::Plain
        } else if roll < 0.65 {
            Kind::Unacked
        } else if roll < 0.82 {
            Kind::Acked
        } else {
            Kind::Resolved
        };
        let resend = matches!(kind, Kind::Plain | Kind::Unacked) && rng.unit() < 0.25;
        Self {
            idx,
            marker: marker(idx),
            kind,
            api: idx % 2,
            resend,
            resend_identical: rng.unit() < 0.5,
            follow_up_ms: rng.range(0.0, 700.0) as u64,
        }
    }

    /// The query string of the firing payload.
    pub fn query(&self) -> String {
        match self.kind {
            Kind::Plain => String::new(),
            Kind::Unacked => {
                format!("oncall_enable=true&oncall_wait_minutes={UNACKED_WAIT_MINUTES}")
            }
            Kind::Acked | Kind::Resolved => {
                format!("oncall_enable=true&oncall_wait_minutes={HANDLED_WAIT_MINUTES}")
            }
        }
    }

    /// The on-call wait in milliseconds, if the incident pages.
    pub fn wait_ms(&self) -> Option<i64> {
        let minutes = match self.kind {
            Kind::Plain => return None,
            Kind::Unacked => UNACKED_WAIT_MINUTES,
            Kind::Acked | Kind::Resolved => HANDLED_WAIT_MINUTES,
        };
        Some((minutes * 60_000.0).round() as i64)
    }
}

/// `fxm00042z`: fixed width with a terminator, so no marker is a prefix of another.
pub fn marker(idx: usize) -> String {
    format!("fxm{idx:06}z")
}

/// Finds the first marker in a text (a Slack call body); returns the incident index.
pub fn find_marker(text: &str) -> Option<usize> {
    let mut rest = text;
    while let Some(at) = rest.find("fxm") {
        let candidate = &rest[at + 3..];
        if candidate.len() > 6
            && candidate.as_bytes()[6] == b'z'
            && candidate[..6].bytes().all(|b| b.is_ascii_digit())
        {
            return candidate[..6].parse().ok();
        }
        rest = &rest[at + 3..];
    }
    None
}

/// An Alertmanager v4 webhook for the group of `marker`. `variant` changes an annotation only (a
/// re-send with news that does not change which alerts fire).
pub fn alertmanager(marker: &str, resolved: bool, variant: u32) -> Value {
    let labels = [
        ("alertname", "FaultDrill"),
        ("instance", marker),
        ("severity", "critical"),
        ("system", "faults"),
    ];
    let description = format!("fault drill {marker}, send {variant}");
    let summary = format!("fault drill {marker}");
    let alert = NotifiedAlert::firing(
        alertmanager_webhook::labels(&labels),
        "2026-11-21T10:00:00Z",
        &format!("fp{marker}"),
    )
    .annotations(&[("description", &description), ("summary", &summary)])
    .generator_url("http://127.0.0.1:9090/graph");
    let alert = if resolved {
        alert.resolved_at("2026-11-21T10:05:00Z")
    } else {
        alert
    };
    Notification::group(
        "versus-faults",
        &format!("{{}}:{{alertname=\"FaultDrill\",instance=\"{marker}\"}}"),
        &[("alertname", "FaultDrill"), ("instance", marker)],
    )
    .common_labels(&labels)
    .common_annotations(&[])
    .external_url("http://127.0.0.1:9093")
    .truncated_alerts(0)
    .alert(alert)
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_plans_replay() {
        assert_eq!(find_marker("x fxm12 fxm000042z y"), Some(42));
        assert_eq!(
            find_marker(&alertmanager(&marker(7), false, 0).to_string()),
            Some(7)
        );
        assert_eq!(Planned::new(5, 9).kind, Planned::new(5, 9).kind);
        assert_eq!(
            Planned::new(5, 9).follow_up_ms,
            Planned::new(5, 9).follow_up_ms
        );
    }
}
