//! Ingest authentication (`ingest_auth`): the credentials Alertmanager sends natively, checked before a
//! request's body is read. Wrap any route that creates or changes incidents with [`require_ingest_auth`];
//! the ack links and Slack callbacks carry their own proof and are not wrapped.

mod credentials;
mod require;

pub use credentials::{IngestCredentials, Refusal};
pub use require::require_ingest_auth;
