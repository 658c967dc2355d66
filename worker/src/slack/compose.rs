//! The Slack message of an incident in its current state: the rendered template (or, if the template
//! fails, the alert's essentials — an alert is never dropped for a template bug), the acknowledge button
//! while it is pending, a status line once it is acknowledged, escalated or resolved, and the noise button
//! and mark in every state.

use super::blocks::{
    build_message, plain_fallback, AckControl, ButtonProps, NoiseMark, SlackMessage, StatusBanner,
};
use super::heartbeat_text::heartbeat_text;
use super::parameter_warning::with_parameter_warnings;
use chrono::{TimeZone, Utc};
use versus_shared::domain::ack_token::AckSigner;
use versus_shared::domain::incident::{AckChannel, Incident, IncidentState};
use versus_shared::domain::template::{MessageTemplate, RenderExtras};
use versus_shared::infra::config::Settings;

pub struct Composer {
    template: Option<MessageTemplate>,
    button: ButtonProps,
    public_host: String,
    signer: Option<AckSigner>,
    /// With a signing secret, the button is a Slack interactive button instead of a link.
    interactive: bool,
}

fn display_time(ms: Option<i64>) -> String {
    ms.and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "an unknown time".into())
}

impl Composer {
    pub fn new(settings: &Settings, template: Option<MessageTemplate>) -> Self {
        let properties = &settings.alert.slack.message_properties;
        let style = properties.button_style.trim();
        Self {
            template,
            button: ButtonProps {
                text: properties.button_text.clone(),
                style: (!style.is_empty()).then(|| style.to_string()),
                disabled: properties.disable_button,
            },
            public_host: settings.public_host.clone(),
            signer: AckSigner::from_settings(settings),
            interactive: settings.alert.slack.signing_secret.is_some(),
        }
    }

    pub fn ack_url(&self, incident: &Incident) -> Option<String> {
        let signer = self.signer.as_ref().filter(|_| incident.oncall)?;
        Some(signer.ack_url(&self.public_host, &incident.id))
    }

    /// The template's text for the incident (the alert's essentials when the template fails), under a
    /// warning for each query parameter of its webhook that Versus does not know. A missed heartbeat's
    /// incident has no alert to template: Versus writes its text.
    pub fn render_text(&self, incident: &Incident) -> String {
        if let Some(text) = heartbeat_text(incident, &self.public_host) {
            return text;
        }
        let payload = incident.payload_json();
        let ack_url = self.ack_url(incident);
        let extras = RenderExtras {
            ack_url: ack_url.as_deref(),
            escalate_after_ms: escalate_after_ms(incident),
        };
        let rendered = match self.template.as_ref().map(|t| t.render(&payload, extras)) {
            Some(Ok(text)) => text,
            Some(Err(error)) => {
                metrics::counter!("versus_template_errors_total").increment(1);
                tracing::error!(incident_id = %incident.id, error = %error.report(), "message template failed; sending the alert's essentials instead");
                plain_fallback(&payload)
            }
            None => plain_fallback(&payload),
        };
        with_parameter_warnings(&incident.unknown_parameters, rendered)
    }

    pub fn compose(&self, incident: &Incident) -> SlackMessage {
        let text = self.render_text(incident);
        let ack = match (self.ack_url(incident), &self.signer) {
            (Some(_), Some(signer)) if self.interactive => AckControl::Interactive {
                action_value: signer.token(&incident.id),
            },
            (Some(url), _) => AckControl::Link { url },
            _ => AckControl::None,
        };
        build_message(
            &text,
            &ack,
            &self.button,
            &banner(incident),
            &noise_mark(incident),
        )
    }
}

/// The wait before paging this incident: the ingest script stores `due_ms` as receipt + wait, so it is
/// `due_ms - created_ms`, whether the wait came from `oncall.wait_minutes` or `?oncall_wait_minutes`.
fn escalate_after_ms(incident: &Incident) -> Option<i64> {
    let due = incident.due_ms.filter(|_| incident.oncall)?;
    due.checked_sub(incident.created_ms)
}

pub fn banner(incident: &Incident) -> StatusBanner {
    match incident.state {
        IncidentState::Pending => StatusBanner::Firing,
        IncidentState::Acked => StatusBanner::Acknowledged {
            by: incident
                .acked_by
                .clone()
                .unwrap_or_else(|| "someone".into()),
            at: display_time(incident.acked_ms),
            by_link: incident.acked_via == Some(AckChannel::Link),
        },
        IncidentState::Escalated if incident.failed_page().is_some() => {
            StatusBanner::PagingFailed {
                reason: incident.failed_page().unwrap_or_default().to_string(),
            }
        }
        IncidentState::Escalated => StatusBanner::Escalated {
            incident_arn: incident
                .aws_arn
                .clone()
                .unwrap_or_else(|| "starting…".into()),
            at: display_time(incident.escalated_ms),
        },
        IncidentState::Resolved => StatusBanner::Resolved {
            at: display_time(incident.resolved_ms),
            was_escalated: incident.was_escalated(),
        },
    }
}

pub fn noise_mark(incident: &Incident) -> NoiseMark {
    match &incident.noise_by {
        Some(by) => NoiseMark::Marked { by: by.clone() },
        None => NoiseMark::Unmarked,
    }
}
