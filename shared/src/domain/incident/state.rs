//! The incident state machine, as the Lua scripts beside this file (`lua/`) carry it out.
//!
//! | from | event | to | script |
//! | --- | --- | --- | --- |
//! | (none) | a firing webhook | `pending` | `ingest.lua` (queues `notify`, and `escalate` when on-call applies) |
//! | (none) | a resolved webhook with nothing open | `resolved` | `ingest.lua` (queues `notify`) |
//! | `pending` | an ack (link or Slack button) | `acked` | `ack.lua` |
//! | `pending` | the escalation comes due | `escalated` | `escalate_begin.lua`; `escalate_finish.lua` records the AWS incident or the failure |
//! | `escalated` with a failed page | an ack | `acked` | `ack.lua`: a person owns what AWS could not page |
//! | `pending`, `acked`, `escalated` | a resolved webhook, or the group firing anew | `resolved` | `ingest.lua` (records `resolved_from`) |
//!
//! Exactly one of ack, escalate and resolve wins from `pending`, whatever the timing: each is one atomic
//! script that reads the state and moves it. Every change also queues the jobs it causes in the same script.
//! The stored hash spells a missing value as an absent or empty field; [`Incident`](super::Incident) reads
//! both as `None`.

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncidentState {
    /// Posted (or about to be); if on-call applies, an escalation is scheduled.
    Pending,
    Acked,
    Escalated,
    Resolved,
}

impl IncidentState {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentState::Pending => "pending",
            IncidentState::Acked => "acked",
            IncidentState::Escalated => "escalated",
            IncidentState::Resolved => "resolved",
        }
    }

    /// Still open: a later webhook of the same group joins it.
    pub fn is_open(self) -> bool {
        self != IncidentState::Resolved
    }
}

impl fmt::Display for IncidentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown incident state {0:?}")]
pub struct UnknownState(pub String);

impl FromStr for IncidentState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(Self::Pending),
            "acked" => Ok(Self::Acked),
            "escalated" => Ok(Self::Escalated),
            "resolved" => Ok(Self::Resolved),
            other => Err(UnknownState(other.to_string())),
        }
    }
}

/// How an incident was acknowledged (`acked_via`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckChannel {
    /// The signed ack link (page or POST).
    Link,
    /// The interactive Slack button.
    Slack,
}

impl AckChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            AckChannel::Link => "link",
            AckChannel::Slack => "slack",
        }
    }

    /// The stored spelling; `None` for anything else (a record without an ack).
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "link" => Some(AckChannel::Link),
            "slack" => Some(AckChannel::Slack),
            _ => None,
        }
    }
}

impl fmt::Display for AckChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_what_they_write() {
        for state in [
            IncidentState::Pending,
            IncidentState::Acked,
            IncidentState::Escalated,
            IncidentState::Resolved,
        ] {
            assert_eq!(state.as_str().parse::<IncidentState>(), Ok(state));
        }
        assert_eq!(
            "paged".parse::<IncidentState>(),
            Err(UnknownState("paged".into()))
        );
    }

    #[test]
    fn ack_channels_read_back_what_they_write() {
        for channel in [AckChannel::Link, AckChannel::Slack] {
            assert_eq!(AckChannel::parse(channel.as_str()), Some(channel));
        }
        assert_eq!(AckChannel::parse(""), None);
    }
}
