//! The ack link over real HTTP against the real versus-api: every answer (page, JSON, acknowledgement,
//! not found) carries the security headers, and HEAD answers as GET does, without a body and without
//! acknowledging.

use reqwest::header::HeaderMap;
use versus_tests::alerts::{created, freeform, id_of};
use versus_tests::Topology;

const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

fn assert_security_headers(headers: &HeaderMap, what: &str) {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(get("content-security-policy"), Some(CSP), "{what}");
    assert_eq!(get("x-content-type-options"), Some("nosniff"), "{what}");
    assert_eq!(get("x-frame-options"), Some("DENY"), "{what}");
}

#[tokio::test]
async fn ack_answers_carry_security_headers_and_head_changes_nothing() {
    let topo = Topology::builder()
        .oncall_initialized_only()
        .workers(0)
        .start()
        .await;
    let answer = created(
        &topo,
        "oncall_enable=true&oncall_wait_minutes=60",
        &freeform("headers"),
    )
    .await;
    let id = id_of(&answer);
    let ack_url = answer["ack_url"].as_str().expect("an ack_url").to_string();
    let other_path = ack_url.replace("/api/incidents/ack/", "/api/ack/");
    let http = topo.http();

    for url in [&ack_url, &other_path] {
        let get = http
            .get(url)
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 200);
        let get_headers = get.headers().clone();
        assert_security_headers(&get_headers, "GET html");
        let page = get.text().await.unwrap();
        assert!(page.contains("<form method=\"post\""), "{page}");

        let head = http
            .head(url)
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200, "HEAD {url}");
        assert_security_headers(head.headers(), "HEAD");
        for name in ["content-type", "cache-control", "content-length"] {
            assert_eq!(
                head.headers().get(name),
                get_headers.get(name),
                "HEAD and GET differ in {name}"
            );
        }
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD sent a body");

        let json = http
            .get(url)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_security_headers(json.headers(), "GET json");
    }
    let incident = topo.incident(&id).await;
    assert_eq!(incident["state"], "pending", "HEAD or GET acknowledged");
    assert!(!incident.contains_key("acked_ms"));

    let forged = format!("{}x", ack_url);
    for accept in ["text/html", "application/json"] {
        let missing = http
            .get(&forged)
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        assert_security_headers(missing.headers(), "not found");
    }
    let head_missing = http.head(&forged).send().await.unwrap();
    assert_eq!(head_missing.status(), 404);

    let acked = http
        .post(&ack_url)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(acked.status(), 200);
    assert_security_headers(acked.headers(), "POST");
    assert_eq!(topo.incident(&id).await["state"], "acked");
}
