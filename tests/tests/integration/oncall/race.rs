//! "An ack racing the due time yields exactly one outcome (run it many times)": incidents due
//! after 1 s, each acknowledged at a different moment around its due time: 50 spread from 300 ms before
//! to 600 ms after, then 50 packed into the few milliseconds where ack and page collide. For every
//! incident exactly one of ack and page wins, and Redis, the ack answer and FakeSsm agree on which.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use versus_tests::alerts::{created, freeform, id_of};
use versus_tests::timing::now_ms;
use versus_tests::topology::read_answer;
use versus_tests::turns::heavy_turn;
use versus_tests::{wait_until, Topology};

const INCIDENTS: usize = 50;
/// 1 s, as minutes.
const WAIT: &str = "0.0166667";

struct Raced {
    id: String,
    due_ms: i64,
    offset_ms: i64,
    ack: tokio::task::JoinHandle<(i64, u16, Value)>,
}

/// Offsets of `INCIDENTS` acks spread evenly from `earliest` to `latest` ms after the due time.
fn offsets(earliest: i64, latest: i64) -> Vec<i64> {
    (0..INCIDENTS as i64)
        .map(|i| earliest + (latest - earliest) * i / (INCIDENTS as i64 - 1))
        .collect()
}

/// Posts one incident per offset, acks each at due + offset, checks that exactly one outcome won
/// for each, and returns the offsets of (acked, escalated) incidents.
async fn race_round(topo: &Topology, round: &str, offsets: &[i64]) -> (Vec<i64>, Vec<i64>) {
    let query = format!("oncall_enable=true&oncall_wait_minutes={WAIT}");
    let pages_before = topo.ssm.started().len();
    let mut raced = Vec::new();
    for (i, offset_ms) in offsets.iter().copied().enumerate() {
        let answer = created(topo, &query, &freeform(&format!("{round}-{i}"))).await;
        let id = id_of(&answer);
        let ack_url = answer["ack_url"].as_str().unwrap().to_string();
        let due_ms: i64 = topo.incident(&id).await["due_ms"].parse().unwrap();
        let http = topo.http().clone();
        let ack = tokio::spawn(async move {
            let at = due_ms + offset_ms;
            let left = (at - now_ms()).max(0) as u64;
            tokio::time::sleep(Duration::from_millis(left)).await;
            let sent_ms = now_ms();
            let response = http
                .post(&ack_url)
                .header("Accept", "application/json")
                .send()
                .await
                .expect("ack request");
            let (status, answer) = read_answer(response).await;
            (sent_ms, status, answer)
        });
        raced.push(Raced {
            id,
            due_ms,
            offset_ms,
            ack,
        });
    }

    let mut acks = HashMap::new();
    let mut late_sends = 0;
    for r in raced.iter_mut() {
        let (sent_ms, status, answer) = (&mut r.ack).await.unwrap();
        assert_eq!(status, 200, "ack of {}: {answer}", r.id);
        if sent_ms > r.due_ms + r.offset_ms + 50 {
            late_sends += 1;
        }
        acks.insert(r.id.clone(), answer);
    }

    // Let every escalation that won reach FakeSsm, then give any wrong extra page time to show up.
    let escalated_count = acks.values().filter(|a| a["result"] == "escalated").count();
    wait_until(
        Duration::from_secs(20),
        format!("{round}: the escalations to reach FakeSsm"),
        async || topo.ssm.started().len() >= pages_before + escalated_count,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let tokens = topo.ssm.incidents_by_token();
    let started = topo.ssm.started();
    let (mut acked, mut escalated) = (Vec::new(), Vec::new());
    for r in &raced {
        let answer = &acks[&r.id];
        let token_of_id: Vec<_> = tokens.iter().filter(|(t, _)| t.contains(&r.id)).collect();
        let calls = started
            .iter()
            .filter(|s| s.client_token.contains(&r.id))
            .count();
        let incident = topo.incident(&r.id).await;
        match answer["result"].as_str() {
            Some("acked") => {
                assert_eq!(incident["state"], "acked", "{}: {incident:?}", r.id);
                assert!(
                    token_of_id.is_empty() && calls == 0,
                    "{} (ack at {:+} ms) was acknowledged AND paged",
                    r.id,
                    r.offset_ms
                );
                acked.push(r.offset_ms);
            }
            Some("escalated") => {
                assert_eq!(incident["state"], "escalated", "{}: {incident:?}", r.id);
                assert_eq!(token_of_id.len(), 1, "{}: {token_of_id:?}", r.id);
                let (_, page) = token_of_id[0];
                assert_eq!(
                    page.start_calls, 1,
                    "{} paged {} times",
                    r.id, page.start_calls
                );
                let (ok, incident) = topo
                    .wait_incident(&r.id, Duration::from_secs(5), |f| {
                        f.get("aws_arn") == Some(&page.incident_record_arn)
                    })
                    .await;
                assert!(ok, "{}: ARN not recorded: {incident:?}", r.id);
                assert!(!incident.contains_key("acked_ms"), "{}: {incident:?}", r.id);
                let arn = answer["aws_incident_arn"].as_str().unwrap_or_default();
                assert!(
                    arn.is_empty() || arn == page.incident_record_arn,
                    "{}: the ack answered another ARN {arn}",
                    r.id
                );
                escalated.push(r.offset_ms);
            }
            _ => panic!("{}: unexpected ack answer {answer}", r.id),
        }
    }
    assert_eq!(
        started.len() - pages_before,
        escalated.len(),
        "{round}: one StartIncident per escalated incident, none for acked ones"
    );
    println!(
        "{round}: {} acked (offsets {:?} ms), {} escalated (offsets {:?} ms); {late_sends} acks sent >50 ms late",
        acked.len(),
        acked,
        escalated.len(),
        escalated
    );
    (acked, escalated)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_racing_the_due_time_yields_exactly_one_outcome_every_time() {
    let _turn = heavy_turn().await;
    let topo = Topology::builder().oncall_initialized_only().start().await;
    let (acked, escalated) = race_round(&topo, "spread", &offsets(-300, 600)).await;
    assert!(
        !acked.is_empty() && !escalated.is_empty(),
        "the race was not exercised: every ack landed on one side"
    );
    // Where ack and page collide (measured above: within a few tens of ms after the due time).
    let boundary = (acked.iter().max().copied().unwrap_or(0)
        + escalated.iter().min().copied().unwrap_or(0))
        / 2;
    let dense = offsets(boundary - 40, boundary + 40);
    race_round(&topo, "dense", &dense).await;
}
