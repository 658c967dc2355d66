//! versus-worker: apalis workers that post Slack messages and page on-call through AWS Incident Manager,
//! unless the incident was acknowledged or resolved first.

pub mod app;
pub mod aws;
pub mod dead_letters;
pub mod deps;
pub mod handlers;
pub mod http;
pub mod slack;
