//! Process plumbing both binaries share: the command line, `--check`, and the probe endpoints' answers.

pub mod check;
pub mod cli;
pub mod probes;
