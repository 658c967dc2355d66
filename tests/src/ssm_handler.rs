//! The request handler of FakeSsm: content type, SigV4 signature, model constraints, programmed
//! failures, clientToken idempotency, and the record of every call.

use std::time::{Instant, SystemTime};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::call_outcome::CallOutcome;
use crate::fake_server::{lock, Shared};
use crate::fake_ssm::{
    IncidentUpdate, SsmCall, SsmState, StartedIncident, TokenIncident, DEFAULT_ACCOUNT,
};
use crate::sigv4::{SigV4Error, SignableRequest, Verifier};
use crate::ssm_failure::SsmFailure;
use crate::ssm_requests::{parse_start_incident, parse_update_incident_record};

/// The answer decided for one call, before it is recorded.
struct Answer {
    status: StatusCode,
    error_type: Option<String>,
    body: Value,
    outcome: CallOutcome,
}

impl Answer {
    fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            error_type: None,
            body,
            outcome: CallOutcome::Accepted,
        }
    }

    fn rejected(status: u16, error_type: &str, message: String) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("valid status"),
            error_type: Some(error_type.into()),
            body: json!({ "message": message }),
            outcome: CallOutcome::Rejected(format!("{error_type}: {message}")),
        }
    }
}

pub(crate) async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Shared<SsmState>>,
) -> HttpResponse {
    let received_at = Instant::now();
    let received_at_system = SystemTime::now();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();

    let signable = SignableRequest {
        method: &method,
        path: &path,
        query: &query,
        headers: &headers,
        body: &body,
    };
    let verifier = lock(&state).verifier.clone();
    let checked = check_wire(&signable, &verifier, parsed.as_ref());
    let answer = match checked {
        Err(answer) => answer,
        Ok(obj) => {
            let failure = lock(&state).journal.plan.take();
            match failure {
                Some(SsmFailure::Delay(d)) => {
                    tokio::time::sleep(d).await;
                    perform(&state, &path, obj, received_at, received_at_system)
                }
                Some(f) => Answer {
                    status: StatusCode::from_u16(f.http_status()).expect("valid status"),
                    error_type: Some(f.error_type().into()),
                    body: f.body(),
                    outcome: CallOutcome::Injected(f.error_type().into()),
                },
                None => perform(&state, &path, obj, received_at, received_at_system),
            }
        }
    };

    lock(&state).journal.calls.push(SsmCall {
        operation: path.trim_start_matches('/').to_string(),
        method,
        path,
        query,
        headers,
        raw_body: String::from_utf8_lossy(&body).into_owned(),
        body: parsed,
        received_at,
        received_at_system,
        status: answer.status.as_u16(),
        error_type: answer.error_type.clone(),
        response: answer.body.clone(),
        outcome: answer.outcome,
    });

    let mut resp = HttpResponse::build(answer.status);
    resp.insert_header(("x-amzn-RequestId", uuid::Uuid::now_v7().to_string()));
    if let Some(t) = answer.error_type {
        resp.insert_header(("x-amzn-ErrorType", t));
    }
    resp.json(answer.body)
}

/// Content type, signature, operation and JSON shape; returns the body object when all hold.
fn check_wire(
    req: &SignableRequest<'_>,
    verifier: &Verifier,
    body: Option<&Value>,
) -> Result<serde_json::Map<String, Value>, Answer> {
    let content_type = req
        .headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.as_str());
    if content_type != Some("application/json") {
        return Err(Answer::rejected(
            400,
            "SerializationException",
            format!("Content-Type is {content_type:?}, expected \"application/json\""),
        ));
    }
    if let Err(e) = verifier.verify(req, SystemTime::now()) {
        let (status, error_type) = match &e {
            SigV4Error::MissingHeader("Authorization") => {
                (403, "MissingAuthenticationTokenException")
            }
            SigV4Error::MissingHeader(_)
            | SigV4Error::MalformedAuthorization(_)
            | SigV4Error::MalformedDate(_) => (400, "IncompleteSignatureException"),
            SigV4Error::UnknownAccessKey(_) => (403, "UnrecognizedClientException"),
            _ => (403, "InvalidSignatureException"),
        };
        return Err(Answer::rejected(status, error_type, e.to_string()));
    }
    let known = ["/startIncident", "/updateIncidentRecord"];
    if req.method != "POST" || !known.contains(&req.path) {
        return Err(Answer::rejected(
            404,
            "UnknownOperationException",
            format!(
                "{} {} is not an operation this fake serves",
                req.method, req.path
            ),
        ));
    }
    match body {
        Some(Value::Object(obj)) => Ok(obj.clone()),
        _ => Err(Answer::rejected(
            400,
            "SerializationException",
            "the body is not a JSON object".into(),
        )),
    }
}

/// Carries out a checked call.
fn perform(
    state: &Shared<SsmState>,
    path: &str,
    obj: serde_json::Map<String, Value>,
    received_at: Instant,
    received_at_system: SystemTime,
) -> Answer {
    let body = Value::Object(obj.clone());
    let mut st = lock(state);
    if path == "/startIncident" {
        let start = match parse_start_incident(&obj) {
            Ok(s) => s,
            Err(msg) => return Answer::rejected(400, "ValidationException", msg),
        };
        let (arn, new_incident) = match st.tokens.get_mut(&start.client_token) {
            Some((token, first)) => {
                token.start_calls += 1;
                token.params_mismatch |= *first != start;
                (token.incident_record_arn.clone(), false)
            }
            None => {
                let arn = incident_arn(&start.response_plan_arn);
                let token = TokenIncident {
                    incident_record_arn: arn.clone(),
                    start_calls: 1,
                    params_mismatch: false,
                    first_body: body.clone(),
                };
                st.tokens
                    .insert(start.client_token.clone(), (token, start.clone()));
                (arn, true)
            }
        };
        st.started.push(StartedIncident {
            client_token: start.client_token,
            response_plan_arn: start.response_plan_arn,
            incident_record_arn: arn.clone(),
            title: start.title,
            impact: start.impact,
            trigger_details: start.trigger_details,
            body,
            new_incident,
            received_at,
            received_at_system,
        });
        Answer::ok(json!({ "incidentRecordArn": arn }))
    } else {
        let update = match parse_update_incident_record(&obj) {
            Ok(u) => u,
            Err(msg) => return Answer::rejected(400, "ValidationException", msg),
        };
        if !st
            .tokens
            .values()
            .any(|(t, _)| t.incident_record_arn == update.arn)
        {
            return Answer::rejected(
                404,
                "ResourceNotFoundException",
                format!("no incident record {}", update.arn),
            );
        }
        st.updates.push(IncidentUpdate {
            arn: update.arn,
            status: update.status,
            body,
            received_at,
        });
        Answer::ok(json!({}))
    }
}

/// `arn:aws:ssm-incidents::<account>:incident-record/<plan name>/<id>`.
fn incident_arn(plan_arn: &str) -> String {
    let plan_name = plan_arn
        .rsplit_once("response-plan/")
        .map(|(_, n)| n)
        .unwrap_or("plan");
    let account = plan_arn
        .split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(DEFAULT_ACCOUNT);
    let id = uuid::Uuid::now_v7().hyphenated();
    format!("arn:aws:ssm-incidents::{account}:incident-record/{plan_name}/{id}")
}
