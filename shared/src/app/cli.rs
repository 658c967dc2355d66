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

impl CommonArgs {
    /// What both binaries do first: load and validate the configuration (exit 2 naming the bad key), start
    /// logging, and with `--check` check the templates and exit (1 when something is wrong). Versus
    /// Incident's settings for features this release lacks are warned about, in the log or in the check.
    pub fn settings_or_exit(&self, binary: &str) -> crate::infra::config::Settings {
        let settings = match crate::infra::config::load(&self.config) {
            Ok(settings) => settings,
            Err(error) => {
                eprintln!("{binary}: {error}");
                std::process::exit(2);
            }
        };
        crate::infra::telemetry::init(&settings);
        if self.check {
            let report = crate::app::check::check(&settings, &self.config);
            report.print();
            std::process::exit(if report.is_ok() { 0 } else { 1 });
        }
        for ignored in settings.versus_incident_warnings() {
            tracing::warn!(config = %self.config.display(), "{ignored}");
        }
        settings
    }
}
