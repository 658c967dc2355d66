//! The product's concepts: alerts, incidents and their state machine, job kinds, ack links and templates.

pub mod ack_token;
pub mod alert;
pub mod incident;
pub mod jobs;
pub mod template;
