//! Highly available Redis for failover tests: a Sentinel-watched primary with a replica
//! ([`sentinel_set`]), a Redis Cluster ([`cluster_set`]), a stream of on-call alerts sent across the
//! failover ([`alert_stream`]) and the verdict on what the stream was promised ([`failover_check`]).

pub mod alert_stream;
pub mod cluster_set;
pub mod failover_check;
pub mod node_state;
pub mod sentinel_set;

use crate::topology::{Topology, TopologyBuilder};
use node_state::{VERSUS_PASSWORD, VERSUS_USER};

/// An API and two workers with on-call ready, authenticating as Versus's own ACL user, with short leases and
/// backoffs, so that a job lost with the old primary runs again within seconds. The test adds where Redis is.
pub fn failover_installation() -> TopologyBuilder {
    Topology::builder()
        .env("REDIS_USERNAME", VERSUS_USER)
        .env("REDIS_PASSWORD", VERSUS_PASSWORD)
        .apis(1)
        .workers(2)
        .oncall_initialized_only()
        .env("VERSUS__QUEUE__LEASE_SECONDS", "3")
        .env("VERSUS__QUEUE__NOTIFY__BACKOFF_MAX_MS", "2000")
        .env("VERSUS__QUEUE__ESCALATE__BACKOFF_MAX_MS", "2000")
        .env("VERSUS__QUEUE__SLACK_UPDATE__BACKOFF_MAX_MS", "2000")
}
