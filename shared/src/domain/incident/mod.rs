//! Incidents and their state machine: `pending -> acked | escalated | resolved` (and `acked|escalated ->
//! resolved`), changed only by atomic Lua scripts that also enqueue the jobs each change causes. Records
//! (and their dedup keys) expire after `redis.retention_hours`.

mod payload;
mod record;
mod scripts;
mod store;

pub use payload::PayloadError;
pub use record::{decode_fields, Incident, IncidentState};
pub use store::{
    AckResult, EscalateDecision, EscalationResult, IncidentStore, IngestOutcome, IngestResult,
    NewIncident, OncallPlan, StoreError,
};
