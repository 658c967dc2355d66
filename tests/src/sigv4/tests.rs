//! Unit tests of the SigV4 code against vectors of the public AWS SigV4 test suite
//! (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z, region us-east-1, service "service").

use super::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20150830T123600Z";

fn headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut h = vec![
        ("Host".to_string(), "example.amazonaws.com".to_string()),
        ("X-Amz-Date".to_string(), DATE.to_string()),
    ];
    h.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    h
}

fn signature_of(auth: &str) -> &str {
    auth.rsplit("Signature=").next().unwrap()
}

fn vector(method: &str, query: &str, extra: &[(&str, &str)]) -> String {
    let h = headers(extra);
    let req = SignableRequest {
        method,
        path: "/",
        query,
        headers: &h,
        body: b"",
    };
    sign(&req, AKID, SECRET, "us-east-1", "service")
}

#[test]
fn get_vanilla() {
    let auth = vector("GET", "", &[]);
    assert_eq!(
        auth,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn get_vanilla_query_order_encoded() {
    let auth = vector("GET", "Param-3=Value3&Param=Value2&%E1%88%B4=Value1", &[]);
    assert_eq!(
        signature_of(&auth),
        "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"
    );
}

#[test]
fn get_header_value_trim() {
    let auth = vector(
        "GET",
        "",
        &[("My-Header1", " value1"), ("My-Header2", "\"a   b   c\"")],
    );
    assert_eq!(
        signature_of(&auth),
        "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"
    );
}

#[test]
fn post_vanilla_query() {
    let auth = vector("POST", "Param1=value1", &[]);
    assert_eq!(
        signature_of(&auth),
        "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"
    );
}

fn verifier(secret: &str) -> Verifier {
    Verifier {
        access_key: AKID.into(),
        secret_key: secret.into(),
        service: "service".into(),
    }
}

fn signed_post(body: &[u8]) -> Vec<(String, String)> {
    let mut h = headers(&[("Content-Type", "application/json")]);
    let req = SignableRequest {
        method: "POST",
        path: "/startIncident",
        query: "",
        headers: &h,
        body,
    };
    let auth = sign(&req, AKID, SECRET, "us-east-1", "service");
    h.push(("Authorization".into(), auth));
    h
}

fn at_signing_time() -> SystemTime {
    parse_amz_date(DATE).unwrap()
}

#[test]
fn verify_accepts_what_sign_produced() {
    let body = br#"{"a":1}"#;
    let h = signed_post(body);
    let req = SignableRequest {
        method: "POST",
        path: "/startIncident",
        query: "",
        headers: &h,
        body,
    };
    let auth = verifier(SECRET)
        .verify(&req, at_signing_time())
        .expect("valid signature");
    assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
}

#[test]
fn verify_rejects_wrong_secret_changed_body_path_and_old_date() {
    let body = br#"{"a":1}"#;
    let h = signed_post(body);
    let req = SignableRequest {
        method: "POST",
        path: "/startIncident",
        query: "",
        headers: &h,
        body,
    };
    let wrong = verifier("not-the-secret").verify(&req, at_signing_time());
    assert!(
        matches!(wrong, Err(SigV4Error::SignatureMismatch { .. })),
        "{wrong:?}"
    );

    let tampered = SignableRequest {
        body: br#"{"a":2}"#,
        ..req
    };
    let res = verifier(SECRET).verify(&tampered, at_signing_time());
    assert!(
        matches!(res, Err(SigV4Error::SignatureMismatch { .. })),
        "{res:?}"
    );

    let other_path = SignableRequest {
        path: "/updateIncidentRecord",
        ..req
    };
    let res = verifier(SECRET).verify(&other_path, at_signing_time());
    assert!(
        matches!(res, Err(SigV4Error::SignatureMismatch { .. })),
        "{res:?}"
    );

    let later = at_signing_time() + Duration::from_secs(16 * 60);
    let res = verifier(SECRET).verify(&req, later);
    assert!(matches!(res, Err(SigV4Error::ClockSkew(_))), "{res:?}");
}

#[test]
fn parse_authorization_rejects_malformed_headers() {
    for bad in [
        "AWS4-HMAC-SHA1 Credential=A/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=A/2015083/us-east-1/service/aws4_request, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=zz",
        "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/service, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 SignedHeaders=host",
    ] {
        assert!(parse_authorization(bad).is_err(), "accepted {bad}");
    }
}
