//! The webhook's query parameters, parsed and checked before anything is stored.

use crate::error::ApiError;
use serde::Deserialize;
use std::time::Duration;
use versus_shared::domain::query_parameters::UnknownParameters;
use versus_shared::infra::config::{OncallSettings, SlackSettings};

/// As received; every field optional and textual so that a bad value gets our own error message.
#[derive(Debug, Default, Deserialize)]
pub struct RawIngestQuery {
    pub oncall_enable: Option<String>,
    pub oncall_wait_minutes: Option<String>,
    pub awsim_other_response_plan: Option<String>,
    pub dedup_key: Option<String>,
    pub slack_channel_id: Option<String>,
}

/// What the query asks for, checked against the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOptions {
    /// The response plan and wait when this request pages; None when it does not.
    pub oncall: Option<(String, Duration)>,
    pub dedup_key: Option<String>,
    /// Parameters Versus does not know, accepted so the alert is not lost (see [`super::parameters`]).
    pub unknown_parameters: UnknownParameters,
    /// The Slack channel this request's incident posts to, when it names one.
    pub slack_channel: Option<String>,
}

const MAX_WAIT_MINUTES: f64 = 1440.0;

fn parse_bool(name: &str, value: &str) -> Result<bool, ApiError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(ApiError::bad_request(
            "invalid_query",
            format!("{name} must be true or false, got {value:?}"),
        )),
    }
}

pub fn parse_wait_minutes(value: &str) -> Result<Duration, ApiError> {
    let minutes: f64 = value.trim().parse().map_err(|_| wait_range_error(value))?;
    if !minutes.is_finite() || !(0.0..=MAX_WAIT_MINUTES).contains(&minutes) {
        return Err(wait_range_error(value));
    }
    Ok(Duration::from_secs_f64(minutes * 60.0))
}

fn wait_range_error(value: &str) -> ApiError {
    ApiError::bad_request("invalid_query", format!(
        "oncall_wait_minutes must be a number of minutes from 0 to {MAX_WAIT_MINUTES} (fractions allowed, 0 pages at once), got {value:?}"
    ))
}

/// Longest channel id accepted; Slack's are about a dozen characters.
const MAX_CHANNEL_ID_LEN: usize = 32;

/// A channel id as Slack writes them (`C0123ABCD`: upper-case letters and digits, starting with a letter), and
/// one of `alert.slack.allowed_channel_ids` when that list is not empty.
pub fn check_channel(id: &str, allowed: &[String]) -> Result<String, ApiError> {
    let allowed_text = || {
        if allowed.is_empty() {
            "any channel id".to_string()
        } else {
            format!("one of [{}]", allowed.join(", "))
        }
    };
    let well_formed = (2..=MAX_CHANNEL_ID_LEN).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_uppercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !well_formed {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!(
                "slack_channel_id must be a Slack channel id such as C0123ABCD (upper-case letters and digits, at most {MAX_CHANNEL_ID_LEN}); allowed: {}",
                allowed_text()
            ),
        ));
    }
    if !allowed.is_empty() && !allowed.iter().any(|a| a == id) {
        return Err(ApiError::bad_request(
            "invalid_query",
            format!(
                "slack_channel_id={id} is not in alert.slack.allowed_channel_ids; allowed: {}",
                allowed_text()
            ),
        ));
    }
    Ok(id.to_string())
}

impl RawIngestQuery {
    pub fn check(
        &self,
        oncall: &OncallSettings,
        slack: &SlackSettings,
    ) -> Result<IngestOptions, ApiError> {
        let slack_channel = self
            .slack_channel_id
            .as_deref()
            .map(|id| check_channel(id, &slack.allowed_channel_ids))
            .transpose()?;
        let requested = self
            .oncall_enable
            .as_deref()
            .map(|v| parse_bool("oncall_enable", v))
            .transpose()?;
        let wait = match self.oncall_wait_minutes.as_deref() {
            Some(value) => parse_wait_minutes(value)?,
            None => Duration::from_secs_f64(oncall.wait_minutes * 60.0),
        };
        let plans = &oncall.aws_incident_manager.other_response_plan_arns;
        let plan = match self.awsim_other_response_plan.as_deref() {
            Some(key) => plans.get(key).cloned().ok_or_else(|| {
                let known: Vec<&str> = plans.keys().map(String::as_str).collect();
                ApiError::bad_request("invalid_query", format!(
                    "awsim_other_response_plan={key:?} is not a key of oncall.aws_incident_manager.other_response_plan_arns; known keys: [{}]",
                    known.join(", ")
                ))
            })?,
            None => oncall.aws_incident_manager.response_plan_arn.clone(),
        };
        if requested == Some(true) && !oncall.is_ready() {
            return Err(ApiError::bad_request(
                "invalid_query",
                "oncall_enable=true, but on-call is not set up here (oncall.enable and oncall.initialized_only are both false); set one of them, or drop the parameter",
            ));
        }
        let by_default = oncall.enable && !oncall.initialized_only;
        let pages = oncall.is_ready() && requested.unwrap_or(by_default);
        let dedup_key = match self.dedup_key.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(key) if key.len() > 512 => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    "dedup_key must be at most 512 characters",
                ))
            }
            Some(key) => Some(key.to_string()),
        };
        Ok(IngestOptions {
            oncall: pages.then_some((plan, wait)),
            dedup_key,
            unknown_parameters: UnknownParameters::default(),
            slack_channel,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oncall(enable: bool, initialized_only: bool) -> OncallSettings {
        let mut settings = OncallSettings {
            enable,
            initialized_only,
            ..OncallSettings::default()
        };
        settings.aws_incident_manager.response_plan_arn = "arn:main".into();
        settings
            .aws_incident_manager
            .other_response_plan_arns
            .insert("app".into(), "arn:app".into());
        settings
    }

    fn query(
        oncall_enable: Option<&str>,
        wait: Option<&str>,
        plan: Option<&str>,
    ) -> RawIngestQuery {
        RawIngestQuery {
            slack_channel_id: None,
            oncall_enable: oncall_enable.map(Into::into),
            oncall_wait_minutes: wait.map(Into::into),
            awsim_other_response_plan: plan.map(Into::into),
            dedup_key: None,
        }
    }

    #[test]
    fn enable_pages_unless_the_request_opts_out() {
        assert!(query(None, None, None)
            .check(&oncall(true, false), &SlackSettings::default())
            .unwrap()
            .oncall
            .is_some());
        assert!(query(Some("false"), None, None)
            .check(&oncall(true, false), &SlackSettings::default())
            .unwrap()
            .oncall
            .is_none());
    }

    #[test]
    fn initialized_only_pages_only_when_asked() {
        assert!(query(None, None, None)
            .check(&oncall(false, true), &SlackSettings::default())
            .unwrap()
            .oncall
            .is_none());
        let (plan, wait) = query(Some("true"), None, None)
            .check(&oncall(false, true), &SlackSettings::default())
            .unwrap()
            .oncall
            .unwrap();
        assert_eq!(plan, "arn:main");
        assert_eq!(wait, Duration::from_secs(180));
    }

    #[test]
    fn disabled_oncall_never_pages_and_rejects_an_explicit_request() {
        assert!(query(None, None, None)
            .check(&oncall(false, false), &SlackSettings::default())
            .unwrap()
            .oncall
            .is_none());
        assert!(query(Some("true"), None, None)
            .check(&oncall(false, false), &SlackSettings::default())
            .is_err());
    }

    #[test]
    fn wait_overrides_accept_fractions_and_reject_out_of_range() {
        let (_, wait) = query(None, Some("0.05"), None)
            .check(&oncall(true, false), &SlackSettings::default())
            .unwrap()
            .oncall
            .unwrap();
        assert_eq!(wait, Duration::from_secs(3));
        let (_, wait) = query(None, Some("0"), None)
            .check(&oncall(true, false), &SlackSettings::default())
            .unwrap()
            .oncall
            .unwrap();
        assert_eq!(wait, Duration::ZERO);
        for bad in ["-1", "abc", "1441", "NaN", "inf", ""] {
            let err = query(None, Some(bad), None)
                .check(&oncall(true, false), &SlackSettings::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("from 0 to 1440"), "{bad}: {err}");
        }
    }

    #[test]
    fn other_response_plan_is_picked_and_unknown_keys_are_listed() {
        let (plan, _) = query(None, None, Some("app"))
            .check(&oncall(true, false), &SlackSettings::default())
            .unwrap()
            .oncall
            .unwrap();
        assert_eq!(plan, "arn:app");
        let err = query(None, None, Some("network"))
            .check(&oncall(true, false), &SlackSettings::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("known keys: [app]"), "{err}");
    }

    #[test]
    fn a_requested_channel_must_be_well_formed_and_allowed() {
        let any: Vec<String> = Vec::new();
        assert_eq!(check_channel("C0123ABCD", &any).unwrap(), "C0123ABCD");
        for bad in [
            "",
            "c0123",
            "C01<!here>",
            "C 1",
            "#general",
            &"C".repeat(40),
        ] {
            let err = check_channel(bad, &any).unwrap_err().to_string();
            assert!(err.contains("Slack channel id"), "{bad}: {err}");
        }
        let allowed = vec!["C0ONCALL".to_string(), "C0DB".to_string()];
        assert_eq!(check_channel("C0DB", &allowed).unwrap(), "C0DB");
        let err = check_channel("C0OTHER", &allowed).unwrap_err().to_string();
        assert!(err.contains("allowed: one of [C0ONCALL, C0DB]"), "{err}");
        let mut raw = query(None, None, None);
        raw.slack_channel_id = Some("C0OTHER".into());
        let slack = SlackSettings {
            allowed_channel_ids: allowed,
            ..SlackSettings::default()
        };
        assert!(raw.check(&oncall(false, false), &slack).is_err());
        raw.slack_channel_id = Some("C0DB".into());
        let options = raw.check(&oncall(false, false), &slack).unwrap();
        assert_eq!(options.slack_channel.as_deref(), Some("C0DB"));
    }
}
