//! The request bodies FakeSsm accepts, checked against the SSM Incidents service model
//! (`StartIncidentInput`, `UpdateIncidentRecordInput`, `TriggerDetails`).
//!
//! Real AWS answers `ValidationException` (HTTP 400) for a body that breaks the model's constraints; the
//! fake does the same so a worker that sends a 300-character title or an impact of 0 fails in tests,
//! not in production.

use serde_json::{Map, Value};

/// A StartIncident body that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct StartIncidentBody {
    pub response_plan_arn: String,
    pub client_token: String,
    pub title: Option<String>,
    pub impact: Option<i64>,
    pub trigger_details: Option<Value>,
}

/// An UpdateIncidentRecord body that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateIncidentRecordBody {
    pub arn: String,
    /// `OPEN` or `RESOLVED` when given.
    pub status: Option<String>,
}

/// Checks a StartIncident body; `Err` is the ValidationException message.
pub fn parse_start_incident(body: &Map<String, Value>) -> Result<StartIncidentBody, String> {
    let response_plan_arn = required_string(body, "responsePlanArn", 1000)?;
    if !response_plan_arn.starts_with("arn:") || !response_plan_arn.contains(":response-plan/") {
        return Err(format!(
            "responsePlanArn is not a response-plan ARN: {response_plan_arn}"
        ));
    }
    let client_token = required_string(body, "clientToken", 128)?;
    let title = optional_string(body, "title", 200)?;
    let impact = optional_impact(body)?;
    let trigger_details = match body.get("triggerDetails") {
        None => None,
        Some(Value::Object(td)) => {
            check_trigger_details(td)?;
            Some(Value::Object(td.clone()))
        }
        Some(other) => return Err(format!("triggerDetails must be an object, got {other}")),
    };
    if let Some(items) = body.get("relatedItems") {
        if !items.is_array() {
            return Err(format!("relatedItems must be an array, got {items}"));
        }
    }
    Ok(StartIncidentBody {
        response_plan_arn,
        client_token,
        title,
        impact,
        trigger_details,
    })
}

/// Checks an UpdateIncidentRecord body; `Err` is the ValidationException message.
pub fn parse_update_incident_record(
    body: &Map<String, Value>,
) -> Result<UpdateIncidentRecordBody, String> {
    let arn = required_string(body, "arn", 1000)?;
    let status = optional_string(body, "status", 20)?;
    if let Some(s) = &status {
        if s != "OPEN" && s != "RESOLVED" {
            return Err(format!("status must be OPEN or RESOLVED, got {s}"));
        }
    }
    optional_string(body, "title", 200)?;
    optional_string(body, "summary", 8000)?;
    optional_string(body, "clientToken", 128)?;
    optional_impact(body)?;
    Ok(UpdateIncidentRecordBody { arn, status })
}

/// `triggerDetails`: `source` and `timestamp` required; the SDK sends `timestamp` as a JSON number of
/// epoch seconds (an integer, or a decimal with up to 9 fraction digits), never a string.
fn check_trigger_details(td: &Map<String, Value>) -> Result<(), String> {
    required_string(td, "source", 50).map_err(|e| format!("triggerDetails.{e}"))?;
    match td.get("timestamp") {
        Some(Value::Number(n)) if n.as_f64().is_some_and(|s| s >= 0.0) => {}
        other => {
            return Err(format!(
                "triggerDetails.timestamp must be a number of epoch seconds, got {other:?}"
            ))
        }
    }
    optional_string(td, "rawData", 10_000).map_err(|e| format!("triggerDetails.{e}"))?;
    if let Some(arn) =
        optional_string(td, "triggerArn", 1000).map_err(|e| format!("triggerDetails.{e}"))?
    {
        if !arn.starts_with("arn:") {
            return Err(format!("triggerDetails.triggerArn is not an ARN: {arn}"));
        }
    }
    Ok(())
}

fn optional_impact(body: &Map<String, Value>) -> Result<Option<i64>, String> {
    match body.get("impact") {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(i) if (1..=5).contains(&i) => Ok(Some(i)),
            _ => Err(format!("impact must be an integer from 1 to 5, got {v}")),
        },
    }
}

fn required_string(
    body: &Map<String, Value>,
    key: &str,
    max_chars: usize,
) -> Result<String, String> {
    optional_string(body, key, max_chars)?.ok_or_else(|| format!("{key} is required"))
}

fn optional_string(
    body: &Map<String, Value>,
    key: &str,
    max_chars: usize,
) -> Result<Option<String>, String> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => {
            let len = s.chars().count();
            if len > max_chars {
                Err(format!(
                    "{key} has {len} characters, at most {max_chars} allowed"
                ))
            } else {
                Ok(Some(s.clone()))
            }
        }
        Some(other) => Err(format!("{key} must be a string, got {other}")),
    }
}
