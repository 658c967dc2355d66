//! `--check`: validate the configuration and render every template against bundled sample payloads
//! (an Alertmanager webhook and the product documentation's free-form body), with and without an ack link.

use crate::domain::template::{
    sample_alertmanager_payload, sample_freeform_payload, MessageTemplate, RenderExtras,
    TemplateOptions, SAMPLE_ACK_URL,
};
use crate::infra::config::{resolve_template_path, Settings};
use std::path::Path;

/// The report of a check: what was verified, and what is wrong (empty when all is well).
#[derive(Debug, Default)]
pub struct CheckReport {
    pub passed: Vec<String>,
    /// Worth knowing, but not wrong: settings that load and do nothing.
    pub warnings: Vec<String>,
    pub problems: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn print(&self) {
        for line in &self.passed {
            println!("ok: {line}");
        }
        for warning in &self.warnings {
            eprintln!("warning: {warning}");
        }
        for problem in &self.problems {
            eprintln!("error: {problem}");
        }
    }
}

/// Checks a configuration that already loaded and validated.
pub fn check(settings: &Settings, config_path: &Path) -> CheckReport {
    let mut report = CheckReport::default();
    report
        .passed
        .push(format!("{}: configuration is valid", config_path.display()));
    report.warnings = settings.versus_incident_warnings();
    report.warnings.extend(open_channel_choice(settings));
    report.warnings.extend(open_heartbeats(settings));
    if settings.oncall.is_ready() && settings.oncall.ack_secret.is_none() {
        report.passed.push(format!(
            "oncall.ack_secret is not set: ack links are signed with a key generated once and kept in Redis at {}",
            crate::infra::ack_secret::ack_secret_key(&settings.redis.stored_prefix())
        ));
    }
    let template_path = &settings.alert.slack.template_path;
    let Some(path) = resolve_template_path(template_path, config_path) else {
        if settings.alert.slack.enable {
            report.problems.push(format!(
                "alert.slack.template_path: {} does not exist",
                template_path.display()
            ));
        } else {
            report.passed.push(
                "Slack is off and no template file is present: notifications are logged".into(),
            );
        }
        return report;
    };
    let options = TemplateOptions::from_settings(&settings.alert.slack);
    let template = match MessageTemplate::from_file_with(&path, &options) {
        Ok(template) => {
            report.passed.push(format!(
                "{} is read as {} (alert.slack.template_syntax: {})",
                path.display(),
                template.syntax(),
                format!("{:?}", settings.alert.slack.template_syntax).to_lowercase()
            ));
            template
        }
        Err(error) => {
            report.problems.push(error.report());
            return report;
        }
    };
    let samples = [
        (
            "the sample Alertmanager payload",
            sample_alertmanager_payload(),
        ),
        ("the sample free-form payload", sample_freeform_payload()),
    ];
    let configured_wait_ms = (settings.oncall.wait_minutes * 60_000.0).round() as i64;
    for (name, payload) in &samples {
        for ack_url in [Some(SAMPLE_ACK_URL), None] {
            let extras = match ack_url {
                Some(url) => RenderExtras::oncall(url, configured_wait_ms),
                None => RenderExtras::default(),
            };
            match template.render(payload, extras) {
                Ok(_) => report.passed.push(format!(
                    "{} renders {name} ({})",
                    path.display(),
                    if ack_url.is_some() {
                        "with an ack link"
                    } else {
                        "without an ack link"
                    }
                )),
                Err(error) => report.problems.push(error.report()),
            }
        }
    }
    report
}

/// Anyone who reaches the API may then post to any channel the bot is in, with `?slack_channel_id=`.
fn open_channel_choice(settings: &Settings) -> Option<String> {
    let slack = &settings.alert.slack;
    (slack.enable && slack.allowed_channel_ids.is_empty() && settings.ingest_auth.is_none()).then(|| {
        "alert.slack.allowed_channel_ids is empty and ingest_auth is not set: anyone who reaches POST /api/incidents may post to any channel the Slack bot is in with ?slack_channel_id=; list the channels requests may name, or set ingest_auth".to_string()
    })
}

/// Without credentials, anyone who reaches the API can keep a dead-man's switch quiet by beating it.
fn open_heartbeats(settings: &Settings) -> Option<String> {
    (!settings.heartbeats.is_empty() && settings.ingest_auth.is_none()).then(|| {
        "heartbeats are configured and ingest_auth is not set: anyone who reaches POST /api/heartbeats/{name} can keep a heartbeat beating and hide a silent Alertmanager; set ingest_auth".to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_with_a_syntax_error_is_reported_with_line_and_column() {
        let dir = std::env::temp_dir().join(format!("versus-check-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let template = dir.join("broken.tmpl");
        std::fs::write(&template, "line one\n{{ commonLabels.severity | upper }\n").unwrap();
        let mut settings = Settings::default();
        settings.alert.slack.template_path = template.clone();
        let report = check(&settings, &dir.join("config.yaml"));
        assert!(!report.is_ok());
        assert!(
            report.problems[0].contains("broken.tmpl:2:"),
            "{:?}",
            report.problems
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_open_channel_choice_is_warned_about_unless_limited_or_authenticated() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/config.yaml");
        let mut settings = Settings::default();
        settings.alert.slack.enable = true;
        let open = check(&settings, &config);
        assert!(
            open.warnings
                .iter()
                .any(|w| w.starts_with("alert.slack.allowed_channel_ids is empty")),
            "{:?}",
            open.warnings
        );
        settings.alert.slack.allowed_channel_ids = vec!["C0ALLOWED".into()];
        assert!(check(&settings, &config).warnings.is_empty());
        settings.alert.slack.allowed_channel_ids.clear();
        settings.ingest_auth = Some(crate::infra::config::IngestAuthSettings::default());
        assert!(check(&settings, &config).warnings.is_empty());
    }

    #[test]
    fn a_generated_ack_secret_is_announced_with_its_key() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/config.yaml");
        let mut settings = Settings::default();
        settings.oncall.enable = true;
        let report = check(&settings, &config);
        assert!(
            report
                .passed
                .iter()
                .any(|l| l.contains("kept in Redis at versus:ack_secret")),
            "{:?}",
            report.passed
        );
        settings.oncall.ack_secret = Some(crate::infra::secret::Secret::new("explicit-0123456789"));
        assert!(!check(&settings, &config)
            .passed
            .iter()
            .any(|l| l.contains("ack_secret")));
    }

    #[test]
    fn the_shipped_template_passes() {
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/config.yaml");
        let report = check(&Settings::default(), &config);
        assert!(report.is_ok(), "{:?}", report.problems);
        assert_eq!(report.passed.len(), 6, "{:?}", report.passed);
        assert!(
            report.passed[1].contains("is read as minijinja"),
            "{:?}",
            report.passed
        );
    }
}
