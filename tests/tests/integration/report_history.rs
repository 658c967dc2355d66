//! The on-call report's history against a real Redis, through the very scripts that change incidents: every
//! state change updates the incident's summary and its day's totals; the report adds them up exactly; an
//! incident the group's re-fire replaces is closed unresolved; noise marks are idempotent and can be taken
//! back; summaries expire with `reports.retention_days`; and a summary stays under 300 bytes.

use redis::AsyncCommands;
use std::collections::HashMap;
use std::time::Duration;
use versus_shared::domain::incident::{
    AckChannel, EscalationResult, IncidentStore, NewIncident, NoiseResult, OncallPlan,
};
use versus_shared::domain::report::{day_of_ms, today, ReportLabels, ReportReader, DAY_MS};
use versus_tests::RedisServer;

const PREFIX: &str = "rh:";

fn incident(id: &str, group: &str, severity: &str, labels: [&str; 4]) -> NewIncident {
    NewIncident {
        id: id.into(),
        request_key: None,
        request_ttl: Duration::from_secs(60),
        dedup_key: Some(group.into()),
        legacy_dedup_key: None,
        resolved: false,
        oncall: Some(OncallPlan {
            wait: Duration::from_secs(3600),
            plan_arn: "arn:aws:ssm-incidents::1:response-plan/p".into(),
        }),
        payload: r#"{"status":"firing"}"#.into(),
        occurrences: format!("{id}-occurrence"),
        source: "alertmanager",
        severity: severity.into(),
        title: id.into(),
        alert_signature: id.into(),
        resolve_aws: false,
        unknown_parameters: Default::default(),
        slack_channel: None,
        report: ReportLabels {
            alertname: labels[0].into(),
            receiver: labels[1].into(),
            team: labels[2].into(),
            service: labels[3].into(),
        },
    }
}

fn resolved(mut incident: NewIncident) -> NewIncident {
    incident.resolved = true;
    incident.id = format!("{}-resolve", incident.id);
    incident
}

async fn summary(
    redis: &mut redis::aio::MultiplexedConnection,
    id: &str,
) -> HashMap<String, String> {
    redis
        .hgetall(format!("{PREFIX}report:incident:{id}"))
        .await
        .unwrap()
}

fn ms(fields: &HashMap<String, String>, field: &str) -> i64 {
    fields[field].parse().unwrap()
}

async fn store_and_redis(
    server: &RedisServer,
    prefix: &str,
) -> (IncidentStore, redis::aio::MultiplexedConnection) {
    let conn = redis::aio::ConnectionManager::new(server.client())
        .await
        .unwrap();
    (
        IncidentStore::new(conn, prefix, Duration::from_secs(3600)),
        server.conn().await,
    )
}

#[tokio::test]
async fn every_state_change_is_counted_once_and_the_report_adds_up() {
    let server = RedisServer::start();
    let (store, mut redis) = store_and_redis(&server, PREFIX).await;
    let db_disk = incident(
        "a",
        "g-a",
        "critical",
        ["DiskFull", "team-db", "db", "postgres"],
    );
    let web_latency = incident(
        "b",
        "g-b",
        "warning",
        ["HighLatency", "team-web", "web", ""],
    );
    let untagged = incident("c", "g-c", "critical", ["DiskFull", "team-db", "", ""]);
    let refired = incident("d", "g-d", "info", ["Flappy", "team-web", "web", ""]);
    let slack_acked = incident("e", "g-e", "critical", ["CpuHot", "team-web", "web", ""]);
    for new in [&db_disk, &web_latency, &untagged, &refired, &slack_acked] {
        store.ingest(new).await.unwrap();
    }
    store
        .ack("a", "alice", AckChannel::Link, "alice")
        .await
        .unwrap();
    store
        .ack("a", "bob", AckChannel::Link, "bob")
        .await
        .unwrap();
    store.ingest(&resolved(db_disk)).await.unwrap();
    store.escalate_begin("b").await.unwrap();
    store.escalate_begin("b").await.unwrap();
    let started = EscalationResult::Started {
        aws_arn: "arn:aws:ssm-incidents::1:incident-record/p/x".into(),
    };
    store.escalate_finish("b", &started).await.unwrap();
    store.escalate_finish("b", &started).await.unwrap();
    store.ingest(&resolved(web_latency)).await.unwrap();
    store.ingest(&resolved(untagged)).await.unwrap();
    let mut anew = incident("d2", "g-d", "info", ["Flappy", "team-web", "web", ""]);
    anew.occurrences = "another-occurrence".into();
    store.ingest(&anew).await.unwrap();
    store
        .ack("e", "<@U0BOB>", AckChannel::Slack, "slack:U0BOB")
        .await
        .unwrap();

    assert_eq!(
        store.mark_noise("e", true, "<@U0BOB>").await.unwrap(),
        NoiseResult::Marked
    );
    assert_eq!(
        store.mark_noise("e", true, "<@U0BOB>").await.unwrap(),
        NoiseResult::AlreadyMarked
    );
    assert_eq!(
        store.mark_noise("c", true, "alice").await.unwrap(),
        NoiseResult::Marked
    );
    assert_eq!(
        store.mark_noise("c", false, "alice").await.unwrap(),
        NoiseResult::Unmarked
    );
    assert_eq!(
        store.mark_noise("c", false, "alice").await.unwrap(),
        NoiseResult::NotMarked
    );
    assert_eq!(
        store.mark_noise("nope", true, "alice").await.unwrap(),
        NoiseResult::Missing
    );
    let noise_by: String = redis
        .hget(format!("{PREFIX}incident:e"), "noise_by")
        .await
        .unwrap();
    assert_eq!(noise_by, "<@U0BOB>");

    let a = summary(&mut redis, "a").await;
    assert_eq!(
        (a["b"].as_str(), a["w"].as_str(), a["x"].as_str()),
        ("alice", "link", "r")
    );
    let b = summary(&mut redis, "b").await;
    assert_eq!((b["p"].as_str(), b["x"].as_str()), ("1", "r"));
    assert!(
        !b.contains_key("k"),
        "an escalated incident was not acked in Versus: {b:?}"
    );
    let d = summary(&mut redis, "d").await;
    assert_eq!(d["x"], "u", "the re-fire closed it unresolved: {d:?}");
    let e = summary(&mut redis, "e").await;
    assert_eq!((e["n"].as_str(), e["nb"].as_str()), ("1", "<@U0BOB>"));

    let reader = ReportReader::new(
        server.client().get_connection_manager().await.unwrap(),
        PREFIX,
        Duration::from_secs(3600),
        90,
        false,
    );
    let report = reader.report(1, today()).await.unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(report.total, 6, "{json}");
    assert_eq!(
        json["by_severity"],
        serde_json::json!({"critical": 3, "warning": 1, "info": 2})
    );
    assert_eq!(
        json["by_route"],
        serde_json::json!({"team-db": 2, "team-web": 4})
    );
    assert_eq!(
        json["by_team"],
        serde_json::json!({"db": 1, "web": 4, "(none)": 1})
    );
    assert_eq!(report.acknowledged, 2);
    assert_eq!((report.escalated, report.paged), (1, 1));
    assert_eq!(report.resolved, 3);
    assert_eq!(
        report.resolved_without_ack, 1,
        "only c resolved with neither an ack nor a page"
    );
    assert_eq!(report.closed_unresolved, 1);
    assert_eq!(report.open, 2, "d2 and e are open");
    assert_eq!(report.noise.count, 1);
    assert!((report.noise.rate - 1.0 / 6.0).abs() < 1e-9);
    assert_eq!(
        json["noisy_alerts"],
        serde_json::json!([{"alertname": "CpuHot", "count": 1}])
    );
    assert_eq!(
        json["top_alerts"][0],
        serde_json::json!({"alertname": "DiskFull", "count": 2})
    );
    assert!(
        json.get("heartbeat_misses").is_none(),
        "no heartbeats configured: {json}"
    );

    let ack_a = ms(&a, "k") as f64 / 1000.0;
    let ack_e = ms(&e, "k") as f64 / 1000.0;
    assert_eq!(
        json["acks_by"]["alice"],
        serde_json::json!({"count": 1, "median_seconds": ack_a})
    );
    assert_eq!(
        json["acks_by"]["slack:U0BOB"],
        serde_json::json!({"count": 1, "median_seconds": ack_e})
    );
    assert_eq!(report.unnamed_link_acks.count, 0);
    let mut resolve_times: Vec<i64> = Vec::new();
    for id in ["a", "b", "c"] {
        let s = summary(&mut redis, id).await;
        resolve_times.push(ms(&s, "c"));
    }
    resolve_times.sort();
    assert_eq!(
        report.time_to_resolve_seconds.p90,
        Some(resolve_times[2] as f64 / 1000.0)
    );
    assert_eq!(
        report.time_to_resolve_seconds.p50,
        Some(resolve_times[1] as f64 / 1000.0)
    );
    assert_eq!(report.team_times["db"].time_to_ack_seconds.p50, Some(ack_a));
}

#[tokio::test]
async fn summaries_are_small_and_expire_with_the_report_retention() {
    let server = RedisServer::start();
    // As installed: the default prefix and an incident id as ingest makes them.
    const INSTALLED: &str = "versus:";
    let (store, mut redis) = store_and_redis(&server, INSTALLED).await;
    let store = store.report_retention(Duration::from_millis(1500));
    let typical = incident(
        &versus_shared::infra::queue::new_job_id(),
        "g-typical",
        "critical",
        [
            "KubePodCrashLooping",
            "team-platform-pager",
            "platform",
            "payments-api",
        ],
    );
    store.ingest(&typical).await.unwrap();
    store
        .ack(
            &typical.id,
            "<@U0ALICE12>",
            AckChannel::Slack,
            "slack:U0ALICE12",
        )
        .await
        .unwrap();
    store.ingest(&resolved(typical.clone())).await.unwrap();
    let key = format!("{INSTALLED}report:incident:{}", typical.id);
    let bytes: i64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    println!("report summary of an acked, resolved incident: {bytes} bytes");
    assert!(bytes < 300, "a summary takes {bytes} bytes");

    let ttl: i64 = redis.pttl(&key).await.unwrap();
    assert!((1..=1500).contains(&ttl), "summary PTTL {ttl}");
    let now_ms = chrono::Utc::now().timestamp_millis();
    let day = day_of_ms(now_ms);
    for totals in [
        format!("{INSTALLED}report:day:{day}"),
        format!("{INSTALLED}report:times:{day}"),
    ] {
        let expires_at: i64 = redis::cmd("PEXPIRETIME")
            .arg(&totals)
            .query_async(&mut redis)
            .await
            .unwrap();
        assert_eq!(expires_at, (day + 1) * DAY_MS + 1500, "{totals}");
    }
    tokio::time::sleep(Duration::from_millis(1800)).await;
    let exists: bool = redis.exists(&key).await.unwrap();
    assert!(!exists, "the summary outlived its retention");
    // A late change to an incident whose summary has expired writes no key that would never expire.
    store.mark_noise(&typical.id, true, "alice").await.unwrap();
    let exists: bool = redis.exists(&key).await.unwrap();
    assert!(!exists, "a late noise mark re-created the summary");
}

mod bounds;
