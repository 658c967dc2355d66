use super::*;
use versus_shared::infra::config::BasicAuthSettings;
use versus_shared::infra::secret::Secret;

fn credentials(tokens: &[&str], basic: Option<(&str, &str)>) -> IngestCredentials {
    IngestCredentials::from_settings(&IngestAuthSettings {
        bearer_tokens: tokens.iter().map(|t| Secret::new(*t)).collect(),
        basic_auth: basic.map(|(username, password)| BasicAuthSettings {
            username: username.into(),
            password: Secret::new(password),
        }),
    })
}

fn basic(user_pass: &str) -> String {
    format!("Basic {}", STANDARD.encode(user_pass))
}

fn check(c: &IngestCredentials, header: &str) -> Result<(), Refusal> {
    c.check(Some(header.as_bytes()))
}

#[test]
fn each_rotated_bearer_token_is_accepted() {
    let c = credentials(&["token-old-0123456789", "token-new-0123456789"], None);
    assert_eq!(check(&c, "Bearer token-old-0123456789"), Ok(()));
    assert_eq!(check(&c, "Bearer token-new-0123456789"), Ok(()));
    assert_eq!(
        check(&c, "bearer  token-new-0123456789 "),
        Ok(()),
        "the scheme is case-insensitive"
    );
}

#[test]
fn wrong_missing_or_partial_bearer_tokens_are_refused() {
    let c = credentials(&["token-new-0123456789"], None);
    assert_eq!(c.check(None), Err(Refusal::Missing));
    assert_eq!(check(&c, "Bearer wrong"), Err(Refusal::NoMatch));
    assert_eq!(
        check(&c, "Bearer token-new-012345678"),
        Err(Refusal::NoMatch),
        "a prefix"
    );
    assert_eq!(
        check(&c, "Bearer token-new-01234567890"),
        Err(Refusal::NoMatch),
        "an extension"
    );
    assert_eq!(check(&c, "Bearer "), Err(Refusal::Malformed));
    assert_eq!(
        check(&c, "token-new-0123456789"),
        Err(Refusal::Malformed),
        "no scheme"
    );
    assert_eq!(
        check(&c, &basic("x:token-new-0123456789")),
        Err(Refusal::UnsupportedScheme)
    );
}

#[test]
fn basic_auth_needs_both_username_and_password() {
    let c = credentials(&[], Some(("alertmanager", "pass-0123456789")));
    assert_eq!(check(&c, &basic("alertmanager:pass-0123456789")), Ok(()));
    assert_eq!(
        check(&c, &basic("alertmanager:wrong")),
        Err(Refusal::NoMatch)
    );
    assert_eq!(
        check(&c, &basic("someone:pass-0123456789")),
        Err(Refusal::NoMatch)
    );
    assert_eq!(check(&c, &basic("alertmanager:")), Err(Refusal::NoMatch));
    assert_eq!(check(&c, "Basic not-base64!"), Err(Refusal::Malformed));
    assert_eq!(
        check(&c, "Bearer pass-0123456789"),
        Err(Refusal::UnsupportedScheme),
        "no bearer tokens are configured"
    );
}

#[test]
fn empty_secrets_never_match() {
    let c = credentials(&[""], Some(("alertmanager", "")));
    assert!(c.challenges().is_empty());
    assert_eq!(check(&c, "Bearer "), Err(Refusal::Malformed));
    assert_eq!(
        check(&c, &basic("alertmanager:")),
        Err(Refusal::UnsupportedScheme)
    );
}

#[test]
fn presented_credentials_are_compared_as_fixed_length_digests() {
    // The constant-time comparison only hides lengths because both sides are digests of one size.
    assert_eq!(fingerprint(b"").len(), fingerprint(&[b'x'; 10_000]).len());
    let c = credentials(&["a", "bb", "ccc"], None);
    assert!(c.bearer_tokens.iter().all(|d| d.len() == 32));
    assert!(bool::from(any_equal(
        &c.bearer_tokens,
        &fingerprint(b"ccc")
    )));
    assert!(!bool::from(any_equal(
        &c.bearer_tokens,
        &fingerprint(b"cc")
    )));
}

#[test]
fn challenges_name_the_configured_schemes() {
    assert_eq!(
        credentials(&["t"], None).challenges(),
        ["Bearer realm=\"versus\""]
    );
    assert_eq!(
        credentials(&["t"], Some(("u", "p"))).challenges(),
        [
            "Bearer realm=\"versus\"",
            "Basic realm=\"versus\", charset=\"UTF-8\""
        ]
    );
}
