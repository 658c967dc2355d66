//! Incidents and their state machine: `pending -> acked | escalated | resolved` (and `acked|escalated ->
//! resolved`), changed only by atomic Lua scripts (`lua/`) that also enqueue the jobs each change causes.
//! Records (and their dedup keys) expire after `redis.retention_hours`.
//!
//! - [`state`](IncidentState): the states and the transition table, next to the scripts that carry it out;
//! - `record`: the stored hash read as an [`Incident`];
//! - `replies`: the scripts' answers read as types;
//! - `store`: the calls that run the scripts ([`IncidentStore`]);
//! - `payload`: how a received payload is stored (compressed).

mod payload;
mod record;
mod replies;
pub(crate) mod scripts;
mod state;
mod store;

pub use payload::PayloadError;
pub use record::{decode_fields, Incident, SlackMessageRef};
pub use replies::{
    AckResult, EscalateDecision, EscalationResult, IngestOutcome, IngestResult, NoiseResult,
    UnexpectedReply,
};
pub use state::{AckChannel, IncidentState, UnknownState};
pub use store::{IncidentStore, NewIncident, OncallPlan, PreparedIngest, StoreError};
