//! Graceful shutdown, each on a small topology of its own: SIGTERM to a worker with jobs in flight, and
//! SIGTERM to the API in the middle of requests.

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use versus_tests::topology::{Role, KEY_PREFIX};
use versus_tests::{wait_until, Failure, Topology};

use super::scenario::{alertmanager, find_marker, marker};

async fn queue_len(topo: &Topology, queue: &str, set: &str) -> u64 {
    let mut conn = topo.redis_conn().await;
    conn.zcard(topo.key(&format!("queue:{queue}:{set}")))
        .await
        .expect("ZCARD")
}

/// Accepted top-level posts per marker index.
fn posts_per_incident(topo: &Topology) -> std::collections::BTreeMap<usize, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for call in topo.slack.calls() {
        if call.method == "chat.postMessage" && call.outcome.is_accepted() {
            if let Some(idx) = find_marker(&call.raw_body) {
                *counts.entry(idx).or_default() += 1;
            }
        }
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_a_worker_finishes_in_flight_jobs_and_hands_back_the_rest() {
    let _serial = crate::SERIAL.lock().await;
    const GRACE_S: u64 = 10;
    const N: usize = 12;
    let mut topo = Topology::builder()
        .apis(1)
        .workers(1)
        .env("VERSUS__WORKER__CONCURRENCY", "4")
        .env(
            "VERSUS__WORKER__SHUTDOWN_GRACE_SECONDS",
            GRACE_S.to_string(),
        )
        .env("VERSUS__QUEUE__LEASE_SECONDS", "3")
        .start()
        .await;
    // Every Slack call takes 2 s, so jobs are in flight when the signal comes.
    topo.slack.set_mode(Failure::Delay(Duration::from_secs(2)));
    let mut ids = Vec::new();
    for i in 0..N {
        let (status, answer) = topo
            .post_alert("", &alertmanager(&marker(800_000 + i), false, 0))
            .await;
        assert_eq!(status, 201, "{answer}");
        ids.push(answer["id"].as_str().expect("id").to_string());
    }
    wait_until(
        Duration::from_secs(10),
        "the worker to take 4 jobs",
        async || queue_len(&topo, "notify", "inflight").await >= 4,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await; // the posts are at Slack now

    let signalled = Instant::now();
    let status = topo
        .terminate(Role::Worker, 0, Duration::from_secs(GRACE_S + 10))
        .await;
    let took = signalled.elapsed();
    topo.slack.clear_mode();
    let log = topo.worker_log(0);
    assert!(
        status.is_some_and(|s| s.success()),
        "the worker must exit 0 after SIGTERM, got {status:?}; its log:\n{log}"
    );
    assert!(
        took < Duration::from_secs(GRACE_S),
        "the worker took {took:?}, beyond its grace period of {GRACE_S} s; its log:\n{log}"
    );
    // Nothing is left in flight: what ran finished, what was only prefetched was handed back at once.
    assert_eq!(queue_len(&topo, "notify", "inflight").await, 0, "{log}");
    let posted = posts_per_incident(&topo);
    let finished = posted.len();
    assert!(
        finished >= 4,
        "the jobs in flight at SIGTERM must finish, only {finished} did; its log:\n{log}"
    );
    assert!(posted.values().all(|&n| n == 1), "posted twice: {posted:?}");
    for id in &ids {
        let incident = topo.incident(id).await;
        let idx = find_marker(&incident["payload"]).expect("marker");
        assert_eq!(
            posted.contains_key(&idx),
            incident.get("slack_ts").is_some_and(|ts| !ts.is_empty()),
            "a finished post must be recorded before the job finishes: {incident:?}"
        );
    }
    assert_eq!(
        queue_len(&topo, "notify", "due").await as usize,
        N - finished,
        "every job that did not finish is due again"
    );
    assert!(
        !log.contains("handed back jobs still running at the end of the grace period"),
        "{log}"
    );

    // A new worker posts the rest, each exactly once.
    topo.start_again(Role::Worker, 0).await;
    for id in &ids {
        let (ok, incident) = topo
            .wait_incident(id, Duration::from_secs(20), |f| {
                f.get("slack_ts").is_some_and(|ts| !ts.is_empty())
            })
            .await;
        assert!(ok, "never posted after the restart: {incident:?}");
    }
    let posted = posts_per_incident(&topo);
    assert_eq!(posted.len(), N, "{posted:?}");
    assert!(posted.values().all(|&n| n == 1), "posted twice: {posted:?}");
    println!("faults: worker SIGTERM: exit 0 after {took:?}, {finished} of {N} finished in the grace period, 0 lost, 0 duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_a_worker_whose_jobs_outlast_the_grace_period_hands_them_back() {
    let _serial = crate::SERIAL.lock().await;
    const GRACE_S: u64 = 2;
    const N: usize = 6;
    let mut topo = Topology::builder()
        .apis(1)
        .workers(1)
        .env("VERSUS__WORKER__CONCURRENCY", "4")
        .env(
            "VERSUS__WORKER__SHUTDOWN_GRACE_SECONDS",
            GRACE_S.to_string(),
        )
        .env("VERSUS__QUEUE__LEASE_SECONDS", "15")
        .start()
        .await;
    // Slack answers after 8 s: the jobs cannot finish within the grace period.
    topo.slack.set_mode(Failure::Delay(Duration::from_secs(8)));
    let mut ids = Vec::new();
    for i in 0..N {
        let body = alertmanager(&marker(810_000 + i), false, 0);
        let (status, answer) = topo.post_alert("", &body).await;
        assert_eq!(status, 201, "{answer}");
        ids.push(answer["id"].as_str().expect("id").to_string());
    }
    wait_until(
        Duration::from_secs(10),
        "the worker to take 4 jobs",
        async || queue_len(&topo, "notify", "inflight").await >= 4,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    let status = topo
        .terminate(Role::Worker, 0, Duration::from_secs(GRACE_S + 10))
        .await;
    let took = signalled.elapsed();
    topo.slack.clear_mode();
    let log = topo.worker_log(0);
    assert!(
        status.is_some_and(|s| s.success()),
        "the worker must exit 0 after SIGTERM, got {status:?} after {took:?}; its log:\n{log}"
    );
    assert!(
        took < Duration::from_secs(GRACE_S + 3),
        "the worker took {took:?} for a grace period of {GRACE_S} s; its log:\n{log}"
    );
    // Nothing waits for its 15 s lease: every job is due again at once.
    assert_eq!(queue_len(&topo, "notify", "inflight").await, 0, "{log}");
    assert_eq!(queue_len(&topo, "notify", "due").await as usize, N, "{log}");
    topo.start_again(Role::Worker, 0).await;
    for id in &ids {
        let (ok, incident) = topo
            .wait_incident(id, Duration::from_secs(15), |f| {
                f.get("slack_ts").is_some_and(|ts| !ts.is_empty())
            })
            .await;
        assert!(ok, "never posted after the restart: {incident:?}");
    }
    println!("faults: worker SIGTERM past the grace period: exit 0 after {took:?}, {N} jobs handed back and posted by the next worker");
}

/// How one raw HTTP request ended.
#[derive(Debug)]
enum Raw {
    Answered(u16, String),
    Refused,
    /// Connected and sent (part of) the request, but got no HTTP answer.
    CutOff(String),
}

/// POSTs `body` on a new connection; with `hold`, sends the first half, waits until `hold` turns true,
/// then sends the rest.
async fn raw_post(port: u16, body: Vec<u8>, hold: Option<watch::Receiver<bool>>) -> Raw {
    let mut stream = match TcpStream::connect(("127.0.0.1", port)).await {
        Ok(stream) => stream,
        Err(_) => return Raw::Refused,
    };
    let head = format!(
        "POST /api/incidents HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let split = if hold.is_some() {
        body.len() / 2
    } else {
        body.len()
    };
    let mut first = head.into_bytes();
    first.extend_from_slice(&body[..split]);
    if let Err(e) = stream.write_all(&first).await {
        return Raw::CutOff(format!("writing: {e}"));
    }
    if let Some(mut hold) = hold {
        let _ = tokio::time::timeout(Duration::from_secs(20), hold.wait_for(|go| *go)).await;
        if let Err(e) = stream.write_all(&body[split..]).await {
            return Raw::CutOff(format!("writing the rest: {e}"));
        }
    }
    let mut answer = Vec::new();
    match tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await {
        Ok(Ok(_)) | Ok(Err(_)) if !answer.is_empty() => {}
        Ok(result) => return Raw::CutOff(format!("no answer: {result:?}")),
        Err(_) => return Raw::CutOff("no answer within 30 s".into()),
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Raw::Answered(status, body)
}

/// Whether the API stored an incident for the alert group of `marker` (its dedup key exists).
async fn group_stored(conn: &mut redis::aio::MultiplexedConnection, marker: &str) -> bool {
    use sha2::Digest;
    let body = alertmanager(marker, false, 0);
    let identity = format!(
        "{}\n{}",
        body["receiver"].as_str().unwrap_or(""),
        body["groupKey"].as_str().unwrap_or("")
    );
    let key = format!(
        "{KEY_PREFIX}dedup:am:{}",
        hex::encode(sha2::Sha256::digest(identity.as_bytes()))
    );
    conn.exists(key).await.expect("EXISTS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_the_api_drains_in_flight_requests() {
    let _serial = crate::SERIAL.lock().await;
    let mut topo = Topology::builder().apis(1).workers(0).start().await;
    let port: u16 = topo
        .api_url(0)
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("API port");
    let (release, hold) = watch::channel(false);
    // Requests in the middle of their body when SIGTERM comes.
    let mut slow = Vec::new();
    for i in 0..16 {
        let body = serde_json::to_vec(&alertmanager(&marker(700_000 + i), false, 0)).expect("JSON");
        slow.push(tokio::spawn(raw_post(port, body, Some(hold.clone()))));
    }
    // And a burst of whole requests on new connections, before, during and after the signal.
    let (stop, stopped) = watch::channel(false);
    let mut burst = Vec::new();
    for task in 0..6 {
        let stopped = stopped.clone();
        burst.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for n in 0..10_000 {
                if *stopped.borrow() {
                    break;
                }
                let idx = 710_000 + task * 10_000 + n;
                let body = serde_json::to_vec(&alertmanager(&marker(idx), false, 0)).expect("JSON");
                let outcome = raw_post(port, body, None).await;
                let refused = matches!(outcome, Raw::Refused);
                outcomes.push((idx, outcome));
                if refused {
                    break; // the listener is closed: a sender moves to another replica
                }
            }
            outcomes
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    // Let the slow bodies finish 500 ms after the signal, while the API is draining.
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = release.send(true);
    });
    let signalled = Instant::now();
    let status = topo.terminate(Role::Api, 0, Duration::from_secs(30)).await;
    let took = signalled.elapsed();
    let _ = stop.send(true);
    let log = topo.api_log(0);
    assert!(
        status.is_some_and(|s| s.success()),
        "the API must exit 0 after SIGTERM, got {status:?}; its log:\n{log}"
    );

    let mut accepted = Vec::new();
    let mut problems = Vec::new();
    for task in slow {
        match task.await.expect("slow request") {
            Raw::Answered(201, body) => accepted.push(body),
            other => problems.push(format!("a request in flight at SIGTERM ended {other:?}")),
        }
    }
    let slow_ok = accepted.len();
    let (mut refused, mut reset) = (0, 0);
    let mut cut_off = Vec::new();
    for task in burst {
        for (idx, outcome) in task.await.expect("burst") {
            match outcome {
                Raw::Answered(201, body) => accepted.push(body),
                Raw::Refused => refused += 1,
                Raw::CutOff(why) => cut_off.push((idx, why)),
                Raw::Answered(status, body) => problems.push(format!(
                    "burst request {} answered {status}: {body}",
                    marker(idx)
                )),
            }
        }
    }
    // A connection still in the kernel's accept queue when the listener closes is reset unanswered: the
    // server never read it (the chart's preStop sleep keeps traffic away by then) and the sender retries.
    // Only a request the API stored without answering would be a broken drain.
    let mut conn = topo.redis_conn().await;
    assert!(
        group_stored(&mut conn, &marker(700_000)).await,
        "the dedup-key lookup must find a stored incident"
    );
    for (idx, why) in cut_off {
        if group_stored(&mut conn, &marker(idx)).await {
            problems.push(format!(
                "burst request {} was stored but cut off without an answer: {why}",
                marker(idx)
            ));
        } else {
            reset += 1;
        }
    }
    // Everything the API accepted is in Redis with its notify job.
    for body in &accepted {
        let answer: serde_json::Value = serde_json::from_str(body).expect("JSON answer");
        let id = answer["id"].as_str().expect("id");
        let exists: bool = conn
            .exists(topo.key(&format!("incident:{id}")))
            .await
            .expect("EXISTS");
        let queued: Option<f64> = conn
            .zscore(topo.key("queue:notify:due"), id)
            .await
            .expect("ZSCORE");
        if !exists || queued.is_none() {
            problems.push(format!("accepted {id} is not stored with its job"));
        }
    }
    println!(
        "faults: API SIGTERM: exit 0 after {took:?}; {slow_ok}/16 in-flight requests answered 201, {} accepted in all, {refused} refused after close, {reset} reset unread in the accept queue",
        accepted.len()
    );
    assert!(problems.is_empty(), "{problems:#?}\nAPI log:\n{log}");
}
