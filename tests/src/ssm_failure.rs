//! The errors FakeSsm can be told to answer with, in the SSM Incidents service's own shapes.
//!
//! Each error's HTTP status comes from the service model (`error.httpStatusCode` of each exception
//! shape). The SDK reads the error code from the `x-amzn-ErrorType` header and retries
//! `ThrottlingException` (by code) and HTTP 500/502/503/504 (by status) on its own, up to its attempt
//! limit: a test that injects one throttle usually sees the SDK succeed on its second attempt.

use std::time::Duration;

use serde_json::{json, Value};

/// A failure to inject into well-formed, correctly signed calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsmFailure {
    /// `ThrottlingException`, HTTP 429.
    Throttling,
    /// `AccessDeniedException`, HTTP 403.
    AccessDenied,
    /// `ValidationException`, HTTP 400.
    Validation,
    /// `ResourceNotFoundException`, HTTP 404 (e.g. the response plan was deleted).
    ResourceNotFound,
    /// `ConflictException`, HTTP 409.
    Conflict,
    /// `ServiceQuotaExceededException`, HTTP 402.
    ServiceQuotaExceeded,
    /// `InternalServerException`, HTTP 500.
    InternalServer,
    /// Waits this long, then carries the call out normally (the incident is opened even if the
    /// client has given up waiting, as with a real timeout).
    Delay(Duration),
}

impl SsmFailure {
    /// The HTTP status the service model gives this error.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Throttling => 429,
            Self::AccessDenied => 403,
            Self::Validation => 400,
            Self::ResourceNotFound => 404,
            Self::Conflict => 409,
            Self::ServiceQuotaExceeded => 402,
            Self::InternalServer => 500,
            Self::Delay(_) => 200,
        }
    }

    /// The error code sent in `x-amzn-ErrorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::Throttling => "ThrottlingException",
            Self::AccessDenied => "AccessDeniedException",
            Self::Validation => "ValidationException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::Conflict => "ConflictException",
            Self::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            Self::InternalServer => "InternalServerException",
            Self::Delay(_) => "Delay",
        }
    }

    /// The JSON error body, with the members the model marks required.
    pub fn body(&self) -> Value {
        let message = format!("injected {} by the Versus test harness", self.error_type());
        match self {
            Self::Throttling => {
                json!({"message": message, "quotaCode": "StartIncident", "serviceCode": "ssm-incidents"})
            }
            Self::ServiceQuotaExceeded => {
                json!({"message": message, "quotaCode": "IncidentRecords", "serviceCode": "ssm-incidents"})
            }
            Self::ResourceNotFound => json!({"message": message, "resourceType": "RESPONSE_PLAN"}),
            _ => json!({ "message": message }),
        }
    }
}
