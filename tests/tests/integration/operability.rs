//! What an operator relies on: `--check` of both binaries (`config_check`), the dead-letter tooling
//! (`dead_letter_cli`), logs that carry incident ids and never a secret (`logs`), and `/metrics` and
//! `/readyz` as documented (`metrics`).

mod config_check;
mod dead_letter_cli;
mod logs;
mod metrics;
