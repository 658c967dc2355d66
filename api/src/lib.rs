//! versus-api: the stateless HTTP front of Versus. It accepts webhooks, writes incidents and jobs to Redis,
//! and answers acknowledgements. It talks to no outside service but Redis.

pub mod error;
pub mod ingest;
pub mod routes;
pub mod startup;
pub mod state;
