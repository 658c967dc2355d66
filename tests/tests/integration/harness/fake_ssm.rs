//! Tests of `FakeSsm` with the real `aws-sdk-ssmincidents` client and with hand-made requests:
//! it accepts what the SDK signs with the test credentials, refuses everything else, and keeps
//! AWS's one-incident-per-clientToken rule.

use std::time::{Duration, SystemTime};

use aws_sdk_ssmincidents as ssm;
use ssm::error::ProvideErrorMetadata;
use ssm::primitives::DateTime;
use versus_tests::sigv4::{format_amz_date, sign, SignableRequest};
use versus_tests::{CallOutcome, FakeSsm, SsmFailure, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY};

const PLAN: &str = "arn:aws:ssm-incidents::123456789012:response-plan/VersusCritical";

fn sdk(fake: &FakeSsm, secret: &str) -> ssm::Client {
    let creds = ssm::config::Credentials::new(
        DEFAULT_ACCESS_KEY,
        secret,
        None,
        None,
        "versus-harness-test",
    );
    let conf = ssm::Config::builder()
        .behavior_version(ssm::config::BehaviorVersion::latest())
        .region(ssm::config::Region::new("us-east-1"))
        .credentials_provider(creds)
        .endpoint_url(fake.url())
        .build();
    ssm::Client::from_conf(conf)
}

fn trigger() -> ssm::types::TriggerDetails {
    ssm::types::TriggerDetails::builder()
        .source("versus.alertmanager")
        .timestamp(DateTime::from_secs_f64(1_700_000_000.25))
        .raw_data(r#"{"status":"firing"}"#)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_real_sdk_starts_an_incident_and_its_signature_verifies() {
    let fake = FakeSsm::start();
    let out = sdk(&fake, DEFAULT_SECRET_KEY)
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("versus-incident-1")
        .title("Disk full on db-1")
        .impact(2)
        .trigger_details(trigger())
        .send()
        .await
        .expect("StartIncident against the fake");
    let arn = out.incident_record_arn();
    assert!(
        arn.starts_with("arn:aws:ssm-incidents::123456789012:incident-record/VersusCritical/"),
        "{arn}"
    );

    let started = fake.started();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].client_token, "versus-incident-1");
    assert_eq!(started[0].impact, Some(2));
    let td = started[0].trigger_details.clone().unwrap();
    assert!(
        td["timestamp"].is_number(),
        "the SDK sends epoch seconds as a JSON number: {td}"
    );

    let call = &fake.calls()[0];
    assert_eq!(call.outcome, CallOutcome::Accepted);
    assert_eq!(call.header("content-type"), Some("application/json"));
    let auth = call.header("authorization").unwrap();
    assert!(
        auth.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential={DEFAULT_ACCESS_KEY}/"
        )),
        "{auth}"
    );
    assert!(
        auth.contains("/us-east-1/ssm-incidents/aws4_request"),
        "{auth}"
    );
    assert!(
        call.raw_body.contains(r#""timestamp":1700000000.25"#),
        "{}",
        call.raw_body
    );
    eprintln!(
        "SDK request headers: {:#?}\nbody: {}",
        call.headers, call.raw_body
    );
}

#[tokio::test]
async fn the_same_client_token_opens_one_incident() {
    let fake = FakeSsm::start();
    let client = sdk(&fake, DEFAULT_SECRET_KEY);
    let mut arns = Vec::new();
    for _ in 0..2 {
        let out = client
            .start_incident()
            .response_plan_arn(PLAN)
            .client_token("versus-incident-dup")
            .title("same")
            .send()
            .await
            .unwrap();
        arns.push(out.incident_record_arn().to_string());
    }
    client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("other")
        .send()
        .await
        .unwrap();
    assert_eq!(arns[0], arns[1]);
    assert_eq!(fake.incident_count(), 2);
    let by_token = fake.incidents_by_token();
    assert_eq!(by_token["versus-incident-dup"].start_calls, 2);
    assert!(!by_token["versus-incident-dup"].params_mismatch);
    let flags: Vec<bool> = fake.started().iter().map(|s| s.new_incident).collect();
    assert_eq!(flags, [true, false, true]);
    assert!(fake.wait_for_started(3, Duration::from_secs(1)).await);
    assert!(!fake.wait_for_started(4, Duration::from_millis(100)).await);
}

#[tokio::test]
async fn the_sdk_with_a_wrong_secret_is_refused() {
    let fake = FakeSsm::start();
    let err = sdk(&fake, "not-the-secret")
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("t")
        .send()
        .await
        .expect_err("a wrong signature must fail");
    assert_eq!(err.code(), Some("InvalidSignatureException"), "{err:?}");
    assert!(fake.started().is_empty());
    let rejected = fake.rejected();
    assert_eq!(rejected.len(), 1, "a 403 is not retried by the SDK");
    assert_eq!(rejected[0].status, 403);
}

#[tokio::test]
async fn injected_errors_reach_the_sdk_as_modeled_errors() {
    let fake = FakeSsm::start();
    let client = sdk(&fake, DEFAULT_SECRET_KEY);
    fake.set_mode(SsmFailure::AccessDenied);
    let err = client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("a")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_access_denied_exception());
    fake.set_mode(SsmFailure::ResourceNotFound);
    let err = client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("a")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
    fake.clear_mode();

    // One throttle: the SDK retries by itself and the second attempt opens the incident.
    fake.fail_next(1, SsmFailure::Throttling);
    client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("b")
        .send()
        .await
        .unwrap();
    let calls = fake.calls();
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[2].status, 429);
    assert_eq!(calls[2].error_type.as_deref(), Some("ThrottlingException"));
    assert_eq!(
        calls[2].outcome,
        CallOutcome::Injected("ThrottlingException".into())
    );
    assert_eq!(calls[3].header("amz-sdk-request"), Some("attempt=2; max=3"));
    assert_eq!(fake.incident_count(), 1);

    // HTTP 500 is retried too; a standing throttle exhausts the SDK's 3 attempts.
    fake.fail_next(1, SsmFailure::InternalServer);
    client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("c")
        .send()
        .await
        .unwrap();
    assert_eq!(fake.calls()[4].status, 500);
    fake.set_mode(SsmFailure::Throttling);
    let started = std::time::Instant::now();
    let err = client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("d")
        .send()
        .await
        .unwrap_err();
    eprintln!("3 throttled attempts took {:?}", started.elapsed());
    assert!(err.into_service_error().is_throttling_exception());
    assert_eq!(fake.calls().len(), 9);
    assert_eq!(fake.incident_count(), 2);
}

#[tokio::test]
async fn model_constraints_are_enforced() {
    let fake = FakeSsm::start();
    let client = sdk(&fake, DEFAULT_SECRET_KEY);
    let long_title = "x".repeat(201);
    let err = client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("v")
        .title(long_title)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_validation_exception());
    let err = client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("v")
        .impact(0)
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_validation_exception());
    assert_eq!(fake.incident_count(), 0);
}

#[tokio::test]
async fn incidents_can_be_resolved_but_unknown_ones_cannot() {
    let fake = FakeSsm::start();
    let client = sdk(&fake, DEFAULT_SECRET_KEY);
    let arn = client
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("r")
        .send()
        .await
        .unwrap()
        .incident_record_arn()
        .to_string();
    client
        .update_incident_record()
        .arn(&arn)
        .status(ssm::types::IncidentRecordStatus::Resolved)
        .send()
        .await
        .unwrap();
    let updates = fake.updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(
        (updates[0].arn.as_str(), updates[0].status.as_deref()),
        (arn.as_str(), Some("RESOLVED"))
    );
    let err = client
        .update_incident_record()
        .arn("arn:aws:ssm-incidents::123456789012:incident-record/VersusCritical/nope")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
}

/// Sends a hand-made StartIncident, signed with `secret` (or unsigned when `None`).
async fn raw_call(fake: &FakeSsm, secret: Option<&str>, content_type: &str) -> reqwest::Response {
    let body = br#"{"responsePlanArn":"arn:aws:ssm-incidents::123456789012:response-plan/P","clientToken":"raw"}"#;
    let mut headers = vec![
        ("content-type".to_string(), content_type.to_string()),
        ("host".to_string(), format!("127.0.0.1:{}", fake.port())),
        ("x-amz-date".to_string(), format_amz_date(SystemTime::now())),
    ];
    if let Some(secret) = secret {
        let req = SignableRequest {
            method: "POST",
            path: "/startIncident",
            query: "",
            headers: &headers,
            body,
        };
        let auth = sign(
            &req,
            DEFAULT_ACCESS_KEY,
            secret,
            "us-east-1",
            "ssm-incidents",
        );
        headers.push(("authorization".into(), auth));
    }
    let mut req = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/startIncident", fake.url()))
        .body(body.to_vec());
    for (n, v) in headers.iter().filter(|(n, _)| n != "host") {
        req = req.header(n, v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn hand_signed_requests_pass_only_with_the_right_secret_and_content_type() {
    let fake = FakeSsm::start();
    let ok = raw_call(&fake, Some(DEFAULT_SECRET_KEY), "application/json").await;
    assert_eq!(ok.status(), 200);

    let wrong = raw_call(&fake, Some("wrong-secret"), "application/json").await;
    assert_eq!(wrong.status(), 403);
    assert_eq!(
        wrong.headers()["x-amzn-errortype"],
        "InvalidSignatureException"
    );

    let unsigned = raw_call(&fake, None, "application/json").await;
    assert_eq!(unsigned.status(), 403);
    assert_eq!(
        unsigned.headers()["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );

    let text = raw_call(&fake, Some(DEFAULT_SECRET_KEY), "text/plain").await;
    assert_eq!(text.status(), 400);

    assert_eq!(fake.incident_count(), 1);
    assert_eq!(fake.rejected().len(), 3);
}

#[tokio::test]
async fn credentials_are_configurable() {
    let fake = FakeSsm::start_with("AKIDOTHER", "other-secret");
    let err = sdk(&fake, DEFAULT_SECRET_KEY)
        .start_incident()
        .response_plan_arn(PLAN)
        .client_token("c")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("UnrecognizedClientException"));
    assert_eq!(
        fake.credentials(),
        ("AKIDOTHER".to_string(), "other-secret".to_string())
    );
}
