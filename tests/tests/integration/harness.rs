//! Tests of the harness itself: the fakes answer like the services they stand for, and the process and
//! Redis helpers do what the other tests rely on.

mod fake_slack;
mod fake_ssm;
mod process;
mod redis;
