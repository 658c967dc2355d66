//! AWS Systems Manager Incident Manager through aws-sdk-ssmincidents: credentials and region from the
//! standard chain (environment, profile, web identity for Kubernetes service accounts, instance profile);
//! `AWS_ENDPOINT_URL_SSM_INCIDENTS` points the SDK elsewhere (tests do this).

use aws_sdk_ssmincidents::config::http::HttpResponse;
use aws_sdk_ssmincidents::config::retry::RetryConfig;
use aws_sdk_ssmincidents::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ssmincidents::types::{IncidentRecordStatus, TriggerDetails};
use aws_sdk_ssmincidents::Client;
use aws_smithy_types::DateTime;
use std::time::Duration;
use thiserror::Error;
use versus_shared::infra::queue::JobError;

/// StartIncident's `rawData` limit.
pub const RAW_DATA_MAX: usize = 10_000;

#[derive(Debug, Error)]
pub enum AwsError {
    /// Worth retrying: throttling, `5xx`, timeouts, network trouble.
    #[error("{operation}: {code}: {message}")]
    Transient {
        operation: &'static str,
        code: String,
        message: String,
    },
    /// Cannot succeed until someone fixes IAM or the configuration.
    #[error("{operation}: {code}: {message} — {hint}")]
    Permanent {
        operation: &'static str,
        code: String,
        message: String,
        hint: String,
    },
}

impl AwsError {
    pub fn code(&self) -> &str {
        match self {
            AwsError::Transient { code, .. } | AwsError::Permanent { code, .. } => code,
        }
    }

    /// The code as a bounded label for `versus_aws_api_errors_total{code}`: the AWS error codes
    /// Incident Manager documents, `Timeout`, `NetworkError`, or `other`.
    pub fn metric_code(&self) -> &'static str {
        match self.code() {
            "ThrottlingException" => "ThrottlingException",
            "AccessDeniedException" => "AccessDeniedException",
            "ValidationException" => "ValidationException",
            "ResourceNotFoundException" => "ResourceNotFoundException",
            "InternalServerException" => "InternalServerException",
            "ConflictException" => "ConflictException",
            "ServiceQuotaExceededException" => "ServiceQuotaExceededException",
            "Timeout" => "Timeout",
            "NetworkError" => "NetworkError",
            _ => "other",
        }
    }
}

impl From<AwsError> for JobError {
    fn from(error: AwsError) -> Self {
        match error {
            AwsError::Transient { .. } => JobError::retry(error),
            AwsError::Permanent { .. } => JobError::permanent(error),
        }
    }
}

/// One page to send.
#[derive(Debug, Clone)]
pub struct StartIncident {
    pub response_plan_arn: String,
    pub title: String,
    pub impact: i32,
    pub client_token: String,
    pub raw_data: String,
    /// When Versus accepted the alert (epoch ms): the trigger's timestamp. Taken from the incident rather
    /// than the clock, so that a rerun with the same `client_token` sends the same request.
    pub detected_ms: i64,
}

#[derive(Clone)]
pub struct IncidentManager {
    client: Client,
}

impl IncidentManager {
    /// Loads the standard AWS configuration. Retries are left to Versus's queue, which backs off durably.
    pub async fn from_env() -> Self {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .retry_config(RetryConfig::disabled())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(15))
                    .connect_timeout(Duration::from_secs(5))
                    .build(),
            )
            .load()
            .await;
        Self {
            client: Client::new(&shared),
        }
    }

    /// Starts the incident; returns its incident record ARN. The same `client_token` never opens two.
    pub async fn start_incident(&self, page: &StartIncident) -> Result<String, AwsError> {
        let trigger = TriggerDetails::builder()
            .source("versus")
            .timestamp(DateTime::from_millis(page.detected_ms))
            .raw_data(cut(&page.raw_data, RAW_DATA_MAX))
            .build()
            .map_err(|e| {
                permanent(
                    "start_incident",
                    "BuildError",
                    e.to_string(),
                    "a Versus bug: please report it",
                )
            })?;
        let answer = self
            .client
            .start_incident()
            .response_plan_arn(&page.response_plan_arn)
            .title(cut(&page.title, 200))
            .impact(page.impact)
            .client_token(&page.client_token)
            .trigger_details(trigger)
            .send()
            .await
            .map_err(|e| classify("start_incident", e, &page.response_plan_arn))?;
        Ok(answer.incident_record_arn)
    }

    /// Marks the AWS incident resolved.
    pub async fn resolve(
        &self,
        incident_record_arn: &str,
        client_token: &str,
    ) -> Result<(), AwsError> {
        self.client
            .update_incident_record()
            .arn(incident_record_arn)
            .status(IncidentRecordStatus::Resolved)
            .client_token(client_token)
            .send()
            .await
            .map_err(|e| classify("update_incident_record", e, incident_record_arn))?;
        Ok(())
    }
}

/// Cuts to at most `max` characters on a char boundary.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((index, _)) => text[..index].to_string(),
        None => text.to_string(),
    }
}

fn permanent(operation: &'static str, code: &str, message: String, hint: &str) -> AwsError {
    AwsError::Permanent {
        operation,
        code: code.to_string(),
        message,
        hint: hint.to_string(),
    }
}

fn classify<E>(operation: &'static str, error: SdkError<E, HttpResponse>, arn: &str) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let transient = |code: &str, message: String| AwsError::Transient {
        operation,
        code: code.to_string(),
        message,
    };
    match &error {
        SdkError::TimeoutError(_) => transient("Timeout", "no answer in time".into()),
        SdkError::DispatchFailure(failure) => transient("NetworkError", format!("{failure:?}")),
        SdkError::ResponseError(response) => transient("ResponseError", format!("{response:?}")),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown").to_string();
            let message = service.err().message().unwrap_or("").to_string();
            let status = Some(service.raw().status().as_u16());
            match code.as_str() {
                "AccessDeniedException" => permanent(operation, &code, message, &format!(
                    "the worker's IAM role needs ssm-incidents:StartIncident on {arn} (and ssm-incidents:UpdateIncidentRecord to resolve)"
                )),
                "ValidationException" => permanent(operation, &code, message, &format!(
                    "AWS rejected the request; check that {arn} is a valid ARN in this region"
                )),
                "ResourceNotFoundException" => permanent(operation, &code, message, &format!(
                    "{arn} does not exist in this account and region; fix oncall.aws_incident_manager.response_plan_arn (or the other_response_plan_arns entry) or AWS_REGION"
                )),
                _ if status.is_some_and(|s| (400..500).contains(&s) && s != 429 && s != 409) && code != "ThrottlingException" => {
                    permanent(operation, &code, message, "AWS refused the request; see the code and message")
                }
                _ => transient(&code, message),
            }
        }
        SdkError::ConstructionFailure(_) => permanent(
            operation,
            "ConstructionFailure",
            format!("{error:?}"),
            "check AWS_REGION and the AWS configuration",
        ),
        _ => transient("Unknown", format!("{error:?}")),
    }
}
