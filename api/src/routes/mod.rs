//! One file per route.

pub mod ack;
pub mod ack_headers;
pub mod ack_page;
pub mod health;
pub mod heartbeats;
pub mod ingest;
pub mod reports;
pub mod slack_interactions;
