//! Highly available Redis for failover tests: a Sentinel-watched primary with a replica
//! ([`sentinel_set`]), a Redis Cluster ([`cluster_set`]), a stream of on-call alerts sent across the
//! failover ([`alert_stream`]) and the verdict on what the stream was promised ([`failover_check`]).

pub mod alert_stream;
pub mod cluster_set;
pub mod failover_check;
pub mod node_state;
pub mod sentinel_set;
