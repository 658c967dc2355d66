//! The integration tests of Versus that run with any other test: one program, one module per concept.
//!
//! Most start a private redis-server, FakeSlack and FakeSsm, and the real `versus-api` and `versus-worker`
//! binaries (build them first: `cargo build --workspace --bins`); the harness is the `versus_tests` library.
//! The fault-injection suite (`faults`), the Redis failover tests (`redis_ha`), the real-Alertmanager suite
//! (`alertmanager_e2e`) and the real-browser test (`ack_browser`) are programs of their own, since `make`
//! also runs them alone.
//!
//! The tests run side by side on as many threads as the machine has cores, except that a test which loads
//! the machine never runs beside another such test or one that measures timing (`versus_tests::turns`).

mod digest;
mod go_templates;
mod harness;
mod heartbeat_rearm;
mod heartbeats;
mod ingest_auth;
mod job_payloads;
mod lifecycle;
mod noise_marks;
mod oncall;
mod operability;
mod pipeline;
mod queue;
mod redis_tls;
mod replication;
mod report_history;
mod request_channel;
mod scripted_week;
mod slack_interactions;
mod slack_safe_text;
mod upgrade_fixture;
