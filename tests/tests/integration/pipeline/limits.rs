//! The bounds on what one request, and all requests together, may make the API hold:
//! `alert.max_incidents_per_request` (`413`, counted while the body streams in, nothing stored) and
//! `alert.body_budget_bytes` (`503` with `Retry-After` while other requests hold the budget), and
//! `alert.body_read_timeout_ms` (`408` for a sender that goes quiet mid-body, its share given back).

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use versus_tests::alerts::freeform;
use versus_tests::topology::{read_answer, sample_value};
use versus_tests::{wait_until, Topology};

use super::rejects::stored_keys;

fn array_of(n: usize) -> String {
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"Logs": format!("item-{i}")}))
        .collect();
    Value::Array(items).to_string()
}

/// Opens a connection and sends the head of a `POST /api/incidents` plus `first_bytes` of its body,
/// leaving the rest unsent.
async fn start_post(topo: &Topology, head_extra: &str, first_bytes: &[u8]) -> TcpStream {
    let base = topo.api_url(0);
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/incidents HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{head_extra}Connection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first_bytes).await.unwrap();
    stream
}

/// The answer on `stream` (head and body), within a few seconds. Read by its Content-Length: the
/// server may keep the connection open to drain a body it refused.
async fn answer_on(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buffer = [0u8; 4096];
        while !is_complete(&answer) {
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer within 5 s; got {:?}",
        String::from_utf8_lossy(&answer)
    );
    String::from_utf8_lossy(&answer).into_owned()
}

fn is_complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    length.is_some_and(|length| body.len() >= length)
}

#[tokio::test]
async fn an_array_over_max_incidents_per_request_is_413_naming_the_cap_and_stores_nothing() {
    let topo = Topology::builder().workers(0).start().await;
    let (status, answer) = read_answer(
        topo.post_raw("", Some("application/json"), array_of(101))
            .await,
    )
    .await;
    assert_eq!(status, 413, "{answer}");
    let message = answer["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("100") && message.contains("alert.max_incidents_per_request"),
        "{answer}"
    );
    assert!(
        stored_keys(&topo).await.is_empty(),
        "not even the first 100 are stored: {:?}",
        stored_keys(&topo).await
    );

    // Exactly the cap is accepted, one incident each.
    let (status, answer) = read_answer(
        topo.post_raw("", Some("application/json"), array_of(100))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer.as_array().map(Vec::len), Some(100), "{answer}");
    assert_eq!(topo.incident_count().await, 100);

    // Counted as the bytes arrive: a streamed array is refused once it passes the cap, before its end
    // (here: never) is sent.
    let mut prefix = array_of(300);
    prefix.truncate(prefix.len() / 2 + 40);
    let mut chunk = format!("{:x}\r\n", prefix.len()).into_bytes();
    chunk.extend_from_slice(prefix.as_bytes());
    chunk.extend_from_slice(b"\r\n");
    let mut stream = start_post(&topo, "Transfer-Encoding: chunked\r\n", &chunk).await;
    let answer = answer_on(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("more than 100 incidents"), "{answer}");
    assert_eq!(topo.incident_count().await, 100);
    drop(topo);

    let topo = Topology::builder()
        .workers(0)
        .env("VERSUS__ALERT__MAX_INCIDENTS_PER_REQUEST", "3")
        .start()
        .await;
    let (status, answer) = read_answer(
        topo.post_raw("", Some("application/json"), array_of(4))
            .await,
    )
    .await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("more than 3 incidents"));
    let (status, answer) = read_answer(
        topo.post_raw("", Some("application/json"), array_of(3))
            .await,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
}

/// `versus_ingest_body_bytes_in_flight` as API 0 serves it.
async fn bytes_in_flight(topo: &Topology) -> f64 {
    let metrics = topo
        .scrape(&topo.api_url(0))
        .await
        .expect("the API's /metrics");
    sample_value(&metrics, "versus_ingest_body_bytes_in_flight").unwrap_or(0.0)
}

#[tokio::test]
async fn requests_over_the_shared_body_budget_are_503_with_retry_after_and_succeed_once_it_frees() {
    let topo = Topology::builder()
        .workers(0)
        .env("VERSUS__ALERT__BODY_LIMIT_BYTES", "4096")
        .env("VERSUS__ALERT__BODY_BUDGET_BYTES", "4096")
        .start()
        .await;
    // A slow sender holds 4,000 of the 4,096 bytes while its body trickles in.
    let slow = json!({"Logs": "s".repeat(3968), "ServiceName": "slow"}).to_string();
    assert_eq!(slow.len(), 4000);
    let mut stream = start_post(&topo, "Content-Length: 4000\r\n", &slow.as_bytes()[..100]).await;
    wait_until(
        Duration::from_secs(5),
        "the slow request to hold its bytes",
        async || {
            let held = bytes_in_flight(&topo).await;
            if held >= 4000.0 {
                Ok(())
            } else {
                Err(format!("{held} bytes in flight"))
            }
        },
    )
    .await;

    let small = freeform("over-budget");
    let response = topo
        .post_raw("", Some("application/json"), small.to_string())
        .await;
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let (status, answer) = read_answer(response).await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(retry_after.as_deref(), Some("1"), "{answer}");
    let message = answer["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("alert.body_budget_bytes") && message.contains("nothing was stored"),
        "{answer}"
    );
    assert_eq!(topo.incident_count().await, 0);

    // The slow request completes, gives its bytes back, and the refused one goes through on retry.
    stream.write_all(&slow.as_bytes()[100..]).await.unwrap();
    let answer = answer_on(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert_eq!(bytes_in_flight(&topo).await, 0.0);
    let (status, answer) = topo.post_alert("", &small).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(topo.incident_count().await, 2);
}

#[tokio::test]
async fn senders_that_go_quiet_mid_body_get_408_and_give_the_budget_back() {
    let topo = Topology::builder()
        .workers(0)
        .env("VERSUS__ALERT__BODY_LIMIT_BYTES", "4096")
        .env("VERSUS__ALERT__BODY_BUDGET_BYTES", "8192")
        .env("VERSUS__ALERT__BODY_READ_TIMEOUT_MS", "1500")
        .start()
        .await;
    // Two connections declare the largest body, send its first byte, and then nothing.
    let mut quiet = Vec::new();
    for _ in 0..2 {
        quiet.push(start_post(&topo, "Content-Length: 4096\r\n", b"{").await);
    }
    wait_until(
        Duration::from_secs(5),
        "the quiet senders to hold the whole budget",
        async || {
            let held = bytes_in_flight(&topo).await;
            if held >= 8192.0 {
                Ok(())
            } else {
                Err(format!("{held} bytes in flight"))
            }
        },
    )
    .await;
    // Each is cut off at the deadline with a 408, and the budget is free again for genuine alerts.
    for stream in &mut quiet {
        let answer = answer_on(stream).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("alert.body_read_timeout_ms"), "{answer}");
    }
    assert_eq!(bytes_in_flight(&topo).await, 0.0);
    let (status, answer) = topo.post_alert("", &freeform("after-the-quiet-ones")).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(topo.incident_count().await, 1);
}
