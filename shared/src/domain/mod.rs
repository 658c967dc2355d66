//! The product's concepts: alerts, incidents and their state machine, job kinds, ack links, templates, the
//! webhook's query parameters, the escaping of Slack's mrkdwn, "did you mean" for misspelt names, heartbeats, the
//! on-call report's history and the digest's schedule.

pub mod ack_token;
pub mod alert;
pub mod digest;
pub mod heartbeat;
pub mod incident;
pub mod jobs;
pub mod mrkdwn;
pub mod query_parameters;
pub mod report;
pub mod spelling;
pub mod template;
