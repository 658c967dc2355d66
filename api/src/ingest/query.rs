//! The webhook's query parameters, parsed and checked before anything is stored.

use crate::error::ApiError;
use serde::Deserialize;
use std::time::Duration;
use versus_shared::domain::query_parameters::UnknownParameters;
use versus_shared::infra::config::OncallSettings;

/// As received; every field optional and textual so that a bad value gets our own error message.
#[derive(Debug, Default, Deserialize)]
pub struct RawIngestQuery {
    pub oncall_enable: Option<String>,
    pub oncall_wait_minutes: Option<String>,
    pub awsim_other_response_plan: Option<String>,
    pub dedup_key: Option<String>,
}

/// What the query asks for, checked against the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOptions {
    /// The response plan and wait when this request pages; None when it does not.
    pub oncall: Option<(String, Duration)>,
    pub dedup_key: Option<String>,
    /// Parameters Versus does not know, accepted so the alert is not lost (see [`super::parameters`]).
    pub unknown_parameters: UnknownParameters,
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

impl RawIngestQuery {
    pub fn check(&self, oncall: &OncallSettings) -> Result<IngestOptions, ApiError> {
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
            oncall_enable: oncall_enable.map(Into::into),
            oncall_wait_minutes: wait.map(Into::into),
            awsim_other_response_plan: plan.map(Into::into),
            dedup_key: None,
        }
    }

    #[test]
    fn enable_pages_unless_the_request_opts_out() {
        assert!(query(None, None, None)
            .check(&oncall(true, false))
            .unwrap()
            .oncall
            .is_some());
        assert!(query(Some("false"), None, None)
            .check(&oncall(true, false))
            .unwrap()
            .oncall
            .is_none());
    }

    #[test]
    fn initialized_only_pages_only_when_asked() {
        assert!(query(None, None, None)
            .check(&oncall(false, true))
            .unwrap()
            .oncall
            .is_none());
        let (plan, wait) = query(Some("true"), None, None)
            .check(&oncall(false, true))
            .unwrap()
            .oncall
            .unwrap();
        assert_eq!(plan, "arn:main");
        assert_eq!(wait, Duration::from_secs(180));
    }

    #[test]
    fn disabled_oncall_never_pages_and_rejects_an_explicit_request() {
        assert!(query(None, None, None)
            .check(&oncall(false, false))
            .unwrap()
            .oncall
            .is_none());
        assert!(query(Some("true"), None, None)
            .check(&oncall(false, false))
            .is_err());
    }

    #[test]
    fn wait_overrides_accept_fractions_and_reject_out_of_range() {
        let (_, wait) = query(None, Some("0.05"), None)
            .check(&oncall(true, false))
            .unwrap()
            .oncall
            .unwrap();
        assert_eq!(wait, Duration::from_secs(3));
        let (_, wait) = query(None, Some("0"), None)
            .check(&oncall(true, false))
            .unwrap()
            .oncall
            .unwrap();
        assert_eq!(wait, Duration::ZERO);
        for bad in ["-1", "abc", "1441", "NaN", "inf", ""] {
            let err = query(None, Some(bad), None)
                .check(&oncall(true, false))
                .unwrap_err()
                .to_string();
            assert!(err.contains("from 0 to 1440"), "{bad}: {err}");
        }
    }

    #[test]
    fn other_response_plan_is_picked_and_unknown_keys_are_listed() {
        let (plan, _) = query(None, None, Some("app"))
            .check(&oncall(true, false))
            .unwrap()
            .oncall
            .unwrap();
        assert_eq!(plan, "arn:app");
        let err = query(None, None, Some("network"))
            .check(&oncall(true, false))
            .unwrap_err()
            .to_string();
        assert!(err.contains("known keys: [app]"), "{err}");
    }
}
