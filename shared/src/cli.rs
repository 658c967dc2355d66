//! The command line both binaries share: `--config PATH` (or `VERSUS_CONFIG`) and `--check`.

use clap::Parser;
use std::path::PathBuf;

#[derive(Debug, Clone, Parser)]
pub struct CommonArgs {
    /// Path of config.yaml.
    #[arg(long, env = "VERSUS_CONFIG", default_value = "config/config.yaml")]
    pub config: PathBuf,

    /// Validate the configuration and render every template against a sample Alertmanager payload, then exit.
    #[arg(long)]
    pub check: bool,
}
