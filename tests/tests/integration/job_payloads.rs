//! The incident scripts write job payloads as JSON built in Lua (`incident/lua/lib.lua`); the worker reads
//! them as the Rust types of `domain::jobs`. This pins the two together: a renamed field or queue fails here
//! instead of dead-lettering jobs in production.

use redis::AsyncCommands;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeSet;
use std::time::Duration;
use versus_shared::domain::incident::{
    AckChannel, AckResult, EscalateDecision, EscalationResult, IncidentStore, NewIncident,
    OncallPlan,
};
use versus_shared::domain::jobs::{
    AwsResolveJob, EscalateJob, JobKind, NotifyJob, SlackUpdateJob, SlackUpdateReason,
};
use versus_tests::RedisServer;

const PREFIX: &str = "pin:";

fn incident(id: &str, group: &str, resolved: bool, signature: &str) -> NewIncident {
    NewIncident {
        slack_channel: None,
        id: id.into(),
        request_key: None,
        request_ttl: Duration::from_secs(60),
        dedup_key: Some(group.into()),
        legacy_dedup_key: None,
        resolved,
        oncall: Some(OncallPlan {
            wait: Duration::ZERO,
            plan_arn: "arn:aws:ssm-incidents::1:response-plan/p".into(),
        }),
        payload: r#"{"status":"firing"}"#.into(),
        occurrences: String::new(),
        source: "generic",
        severity: "critical".into(),
        title: "pin".into(),
        alert_signature: signature.into(),
        resolve_aws: true,
        unknown_parameters: Default::default(),
        report: Default::default(),
    }
}

/// Every payload the scripts wrote to `kind`'s queue.
async fn payloads(redis: &mut redis::aio::MultiplexedConnection, kind: JobKind) -> Vec<String> {
    let keys: Vec<String> = redis
        .keys(format!("{PREFIX}queue:{}:job:*", kind.queue()))
        .await
        .unwrap();
    let mut payloads = Vec::new();
    for key in keys {
        payloads.push(redis.hget(&key, "payload").await.unwrap());
    }
    payloads
}

/// Each payload reads as `J` and writes back to the very same JSON.
fn assert_round_trip<J: Serialize + DeserializeOwned>(
    kind: JobKind,
    payloads: &[String],
) -> Vec<J> {
    assert!(!payloads.is_empty(), "the scripts wrote no {kind} job");
    payloads
        .iter()
        .map(|text| {
            let job: J = serde_json::from_str(text).unwrap_or_else(|e| {
                panic!("a {kind} job written by Lua does not read as the Rust type: {e}: {text}")
            });
            assert_eq!(
                serde_json::to_string(&job).unwrap(),
                *text,
                "the Rust type of {kind} writes other JSON than the scripts"
            );
            job
        })
        .collect()
}

#[tokio::test]
async fn every_job_the_incident_scripts_write_reads_as_its_rust_type() {
    let server = RedisServer::start();
    let conn = redis::aio::ConnectionManager::new(server.client())
        .await
        .unwrap();
    let store = IncidentStore::new(conn, PREFIX, Duration::from_secs(3600));
    let mut redis = server.conn().await;

    // Opened (notify, escalate), paged (slack_update: escalated), resolved (slack_update: resolved,
    // aws_resolve); acked, failed to page, and changed alerts (slack_update of each reason): every job
    // the scripts write.
    store
        .ingest(&incident("inc-1", "group-1", false, "sig"))
        .await
        .unwrap();
    let decision = store.escalate_begin("inc-1").await.unwrap();
    assert!(
        matches!(decision, EscalateDecision::Start { .. }),
        "{decision:?}"
    );
    let started = EscalationResult::Started {
        aws_arn: "arn:aws:ssm-incidents::1:incident-record/p/x".into(),
    };
    assert!(store.escalate_finish("inc-1", &started).await.unwrap());
    store
        .ingest(&incident("inc-2", "group-1", true, "sig"))
        .await
        .unwrap();
    store
        .ingest(&incident("inc-3", "group-3", false, "sig"))
        .await
        .unwrap();
    let acked = store
        .ack("inc-3", "U123", AckChannel::Slack, "slack:U123")
        .await
        .unwrap();
    assert!(matches!(acked, AckResult::Acked { .. }), "{acked:?}");
    store
        .ingest(&incident("inc-4", "group-4", false, "sig"))
        .await
        .unwrap();
    store.escalate_begin("inc-4").await.unwrap();
    let failed = EscalationResult::Failed {
        reason: "AccessDenied".into(),
    };
    assert!(store.escalate_finish("inc-4", &failed).await.unwrap());
    store
        .ingest(&incident("inc-5", "group-5", false, "sig-a"))
        .await
        .unwrap();
    store
        .ingest(&incident("inc-6", "group-5", false, "sig-b"))
        .await
        .unwrap();

    let notify: Vec<NotifyJob> = assert_round_trip(
        JobKind::Notify,
        &payloads(&mut redis, JobKind::Notify).await,
    );
    let notified: BTreeSet<&str> = notify.iter().map(|n| n.incident_id.as_str()).collect();
    assert_eq!(
        notified,
        BTreeSet::from(["inc-1", "inc-3", "inc-4", "inc-5"])
    );
    let escalate: Vec<EscalateJob> = assert_round_trip(
        JobKind::Escalate,
        &payloads(&mut redis, JobKind::Escalate).await,
    );
    assert_eq!(escalate.len(), 4, "{escalate:?}");
    let updates: Vec<SlackUpdateJob> = assert_round_trip(
        JobKind::SlackUpdate,
        &payloads(&mut redis, JobKind::SlackUpdate).await,
    );
    let reasons: BTreeSet<&str> = updates.iter().map(|u| u.reason.as_str()).collect();
    assert_eq!(
        reasons,
        BTreeSet::from([
            SlackUpdateReason::Acked.as_str(),
            SlackUpdateReason::Escalated.as_str(),
            SlackUpdateReason::PageFailed.as_str(),
            SlackUpdateReason::Resolved.as_str(),
            SlackUpdateReason::AlertsChanged.as_str(),
        ])
    );
    let resolves: Vec<AwsResolveJob> = assert_round_trip(
        JobKind::AwsResolve,
        &payloads(&mut redis, JobKind::AwsResolve).await,
    );
    assert_eq!(resolves[0].incident_id, "inc-1");

    // No queue outside the table: a job there would never be run by any worker.
    let queue_keys: Vec<String> = redis.keys(format!("{PREFIX}queue:*")).await.unwrap();
    for key in queue_keys {
        let queue = key[PREFIX.len() + "queue:".len()..]
            .split(':')
            .next()
            .unwrap_or_default();
        assert!(
            JobKind::from_queue(queue).is_some(),
            "the scripts wrote to queue {queue:?} ({key}), which is no JobKind"
        );
    }
}
