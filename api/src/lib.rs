//! versus-api: the stateless HTTP front of Versus. It accepts webhooks, writes incidents and jobs to Redis,
//! and answers acknowledgements. It talks to no outside service but Redis.
//!
//! # Layout
//!
//! - [`startup`]: the actix-web application (`Application::build` can bind port 0, so tests run the real
//!   app) and its routes; [`state`]: what every handler shares.
//! - [`routes`]: one file per endpoint: ingest, the ack link and its page, Slack's button callbacks, probes.
//! - [`ingest`]: reading a webhook into incidents: the body (one object or an array), the query parameters
//!   and what is stored for each incident.
//! - [`auth`]: `ingest_auth`, the credentials that routes creating or changing incidents require.
//! - [`error`]: how a failure answers (`400`, `413`, `415`, `503` with `Retry-After`).

pub mod auth;
pub mod error;
pub mod ingest;
pub mod routes;
pub mod startup;
pub mod state;
