//! What `POST /api/incidents` refuses and how: bad bodies (`400` saying what and where), big
//! bodies (`413`), other content types (`415`), and a Redis outage (`503` with `Retry-After`, never
//! `201`, within seconds, and recovery once Redis is back).

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use serde_json::{json, Value};
use versus_tests::alerts::{created, freeform, id_of};
use versus_tests::slack_messages::{posts_mentioning, wait_post};
use versus_tests::topology::read_answer;
use versus_tests::{wait_until, Topology};

/// Every key Versus wrote under its prefix, but for the stored-format version that both binaries write
/// at start-up.
pub(super) async fn stored_keys(topo: &Topology) -> Vec<String> {
    let mut conn = topo.redis_conn().await;
    let keys: Vec<String> = conn.keys(topo.key("*")).await.unwrap();
    let schema_version = topo.key("schema_version");
    keys.into_iter().filter(|k| *k != schema_version).collect()
}

async fn post_text(topo: &Topology, content_type: Option<&str>, body: &str) -> (u16, Value) {
    read_answer(topo.post_raw("", content_type, body.to_string()).await).await
}

fn error_of(answer: &Value) -> &str {
    answer["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {answer}"))
}

#[tokio::test]
async fn bad_bodies_are_400_with_a_message_that_says_what_and_where() {
    let topo = Topology::builder().workers(0).start().await;
    let cases: &[(&str, &[&str])] = &[
        (
            "{\"Logs\": \"x\",\n \"Severity\": }",
            &["not valid JSON", "line 2 column 14"],
        ),
        ("{\"Logs\": \"unterminated", &["not valid JSON", "line 1"]),
        ("", &["empty"]),
        ("   \n ", &["empty"]),
        ("42", &["is a number", "JSON object"]),
        ("\"critical\"", &["is a string"]),
        ("null", &["is null"]),
        ("true", &["is a boolean"]),
        ("[]", &["empty array"]),
        ("[{\"a\": 1}, 7]", &["element 1 of the array is a number"]),
    ];
    for (body, needles) in cases {
        let (status, answer) = post_text(&topo, Some("application/json"), body).await;
        assert_eq!(status, 400, "{body:?} answered {status}: {answer}");
        let message = error_of(&answer);
        for needle in *needles {
            assert!(
                message.contains(needle),
                "{body:?}: {message:?} lacks {needle:?}"
            );
        }
    }
    assert!(
        stored_keys(&topo).await.is_empty(),
        "a refused request stores nothing: {:?}",
        stored_keys(&topo).await
    );
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_and_a_configured_limit_is_honoured() {
    let topo = Topology::builder().workers(0).start().await;
    let big = json!({"Logs": "x".repeat(1024 * 1024), "Severity": "critical"}).to_string();
    assert!(big.len() > 1024 * 1024);
    let (status, answer) = post_text(&topo, Some("application/json"), &big).await;
    assert_eq!(status, 413, "{answer}");
    assert!(error_of(&answer).contains("1048576"), "{answer}");
    // Just under the default limit is fine.
    let fits = json!({"Logs": "y".repeat(1024 * 1024 - 100)}).to_string();
    assert!(fits.len() <= 1024 * 1024);
    let (status, answer) = post_text(&topo, Some("application/json"), &fits).await;
    assert_eq!(status, 201, "{answer}");
    drop(topo);

    let topo = Topology::builder()
        .workers(0)
        .env("VERSUS__ALERT__BODY_LIMIT_BYTES", "2000")
        .start()
        .await;
    let over = json!({"Logs": "z".repeat(2100)}).to_string();
    let (status, answer) = post_text(&topo, Some("application/json"), &over).await;
    assert_eq!(status, 413, "{answer}");
    assert!(error_of(&answer).contains("2000"), "{answer}");
    let under = json!({"Logs": "z".repeat(1500)}).to_string();
    let (status, answer) = post_text(&topo, Some("application/json"), &under).await;
    assert_eq!(status, 201, "{answer}");

    // A sender that streams (chunked, no Content-Length) is held to the same limit.
    let over = json!({"Logs": "c".repeat(3000)}).to_string();
    assert_eq!(post_chunked(&topo.api_url(0), over.as_bytes()).await, 413);
    let under = json!({"Logs": "c".repeat(1000)}).to_string();
    assert_eq!(post_chunked(&topo.api_url(0), under.as_bytes()).await, 201);
}

/// POSTs `body` with `Transfer-Encoding: chunked` in 500-byte chunks over a plain TCP connection;
/// returns the status code of the answer.
async fn post_chunked(base: &str, body: &[u8]) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/incidents HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut request = head.into_bytes();
    for chunk in body.chunks(500) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer 413 and close before it has read everything; that is fine.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {answer:?}"))
}

#[tokio::test]
async fn a_non_json_content_type_is_415() {
    let topo = Topology::builder().workers(0).start().await;
    let body = freeform("content-type").to_string();
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
    ] {
        let (status, answer) = post_text(&topo, Some(content_type), &body).await;
        assert_eq!(status, 415, "{content_type}: {answer}");
        assert!(error_of(&answer).contains("application/json"), "{answer}");
    }
    assert!(stored_keys(&topo).await.is_empty());
    // JSON with a charset, and the +json family, are JSON.
    for content_type in [
        "application/json; charset=utf-8",
        "application/vnd.alert+json",
    ] {
        let (status, answer) = post_text(&topo, Some(content_type), &body).await;
        assert_eq!(status, 201, "{content_type}: {answer}");
    }
}

#[tokio::test]
async fn redis_down_answers_503_with_retry_after_within_seconds_and_recovers() {
    let mut topo = Topology::start().await;
    created(&topo, "", &freeform("before-outage")).await;
    assert!(
        wait_post(&topo.slack, "svc-before-outage", Duration::from_secs(5))
            .await
            .is_some()
    );

    topo.redis.kill();
    let mut slowest = Duration::ZERO;
    for n in 0..4 {
        let started = Instant::now();
        let response = topo
            .post_raw(
                "",
                Some("application/json"),
                freeform(&format!("during-outage-{n}")).to_string(),
            )
            .await;
        let took = started.elapsed();
        slowest = slowest.max(took);
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        let (status, answer) = read_answer(response).await;
        assert_eq!(status, 503, "request {n} during the outage: {answer}");
        let retry_after: u64 = retry_after
            .expect("a Retry-After header")
            .parse()
            .expect("Retry-After in seconds");
        assert!(retry_after >= 1);
        assert!(
            error_of(&answer).contains("may be partly stored")
                && error_of(&answer).contains("retrying is safe"),
            "{answer}"
        );
        assert!(
            took < Duration::from_secs(5),
            "request {n} took {took:?}; the sender must hear back within a few seconds"
        );
    }
    println!("503 answers while Redis is down: slowest took {slowest:?}");

    topo.redis.start_again();
    let started = Instant::now();
    let answer = wait_until(Duration::from_secs(15), "the API to recover", async || {
        let (status, answer) = topo.post_alert("", &freeform("after-outage")).await;
        if status == 201 {
            return Ok(answer);
        }
        assert_eq!(status, 503, "only 503 until Redis answers: {answer}");
        Err(format!("{status}: {answer}"))
    })
    .await;
    println!(
        "API accepted again {:?} after Redis restarted",
        started.elapsed()
    );
    let id = id_of(&answer);
    assert_eq!(topo.incident(&id).await["state"], "pending");
    assert!(
        wait_post(&topo.slack, "svc-after-outage", Duration::from_secs(15))
            .await
            .is_some(),
        "the worker delivers again after the outage"
    );
    assert!(
        posts_mentioning(&topo.slack, "during-outage").is_empty(),
        "nothing refused with 503 was stored or posted"
    );
}

fn signal(pid: u32, sig: &str) {
    let status = std::process::Command::new("kill")
        .arg(sig)
        .arg(pid.to_string())
        .status()
        .expect("kill(1)");
    assert!(status.success(), "kill {sig} {pid}");
}

#[tokio::test]
async fn a_frozen_redis_also_answers_503_within_seconds_never_a_hang() {
    let topo = Topology::builder().workers(0).start().await;
    created(&topo, "", &freeform("before-freeze")).await;
    let pid = topo.redis.pid().expect("redis runs");
    // SIGSTOP: the port still accepts connections, but nothing answers, like a wedged server.
    signal(pid, "-STOP");
    let started = Instant::now();
    let response = topo
        .post_raw("", Some("application/json"), freeform("frozen").to_string())
        .await;
    let took = started.elapsed();
    let has_retry_after = response.headers().contains_key("retry-after");
    let (status, answer) = read_answer(response).await;
    signal(pid, "-CONT");
    assert_eq!(status, 503, "{answer}");
    assert!(has_retry_after);
    assert!(
        took < Duration::from_secs(5),
        "a frozen Redis kept the sender waiting {took:?}"
    );
    println!("503 answer while Redis is frozen took {took:?}");

    wait_until(
        Duration::from_secs(15),
        "a recovery after the freeze",
        async || {
            let (status, answer) = topo.post_alert("", &freeform("after-freeze")).await;
            if status == 201 {
                Ok(())
            } else {
                Err(format!("{status}: {answer}"))
            }
        },
    )
    .await;
}
