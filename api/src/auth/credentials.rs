//! Matching a request's `Authorization` header against the configured ingest credentials.
//!
//! Only SHA-256 digests of the credentials are kept, and a presented credential is digested and compared
//! with every configured one in constant time: neither the content nor the length of a token leaks
//! through how long a refusal takes.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};
use versus_shared::infra::config::IngestAuthSettings;

type Fingerprint = [u8; 32];

fn fingerprint(credential: &[u8]) -> Fingerprint {
    Sha256::digest(credential).into()
}

/// Why a request was refused, for the log (never the credential itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    UnsupportedScheme,
    Malformed,
    NoMatch,
}

impl Refusal {
    pub fn describe(self) -> &'static str {
        match self {
            Refusal::Missing => "no Authorization header",
            Refusal::UnsupportedScheme => "Authorization scheme is not one ingest_auth accepts",
            Refusal::Malformed => "Authorization header is malformed",
            Refusal::NoMatch => "credentials do not match ingest_auth",
        }
    }
}

/// The accepted credentials of one installation.
pub struct IngestCredentials {
    bearer_tokens: Vec<Fingerprint>,
    /// Of `username:password`, as HTTP Basic sends it once decoded.
    basic: Option<Fingerprint>,
}

impl std::fmt::Debug for IngestCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IngestCredentials([redacted])")
    }
}

impl IngestCredentials {
    /// Empty tokens and passwords are left out, so they never match even if validation was skipped.
    pub fn from_settings(settings: &IngestAuthSettings) -> Self {
        Self {
            bearer_tokens: settings
                .bearer_tokens
                .iter()
                .filter(|token| !token.is_empty())
                .map(|token| fingerprint(token.expose().as_bytes()))
                .collect(),
            basic: settings
                .basic_auth
                .as_ref()
                .filter(|basic| !basic.username.is_empty() && !basic.password.is_empty())
                .map(|basic| {
                    fingerprint(
                        format!("{}:{}", basic.username, basic.password.expose()).as_bytes(),
                    )
                }),
        }
    }

    /// `WWW-Authenticate` challenges of a refusal: one per scheme that could succeed.
    pub fn challenges(&self) -> Vec<&'static str> {
        let mut challenges = Vec::new();
        if !self.bearer_tokens.is_empty() {
            challenges.push("Bearer realm=\"versus\"");
        }
        if self.basic.is_some() {
            challenges.push("Basic realm=\"versus\", charset=\"UTF-8\"");
        }
        challenges
    }

    /// Accepts the value of an `Authorization` header that carries one of the credentials.
    pub fn check(&self, authorization: Option<&[u8]>) -> Result<(), Refusal> {
        let header = authorization.ok_or(Refusal::Missing)?;
        let header = std::str::from_utf8(header).map_err(|_| Refusal::Malformed)?;
        let (scheme, credential) = header.trim().split_once(' ').ok_or(Refusal::Malformed)?;
        let credential = credential.trim();
        if credential.is_empty() {
            return Err(Refusal::Malformed);
        }
        let matched = if scheme.eq_ignore_ascii_case("bearer") && !self.bearer_tokens.is_empty() {
            any_equal(&self.bearer_tokens, &fingerprint(credential.as_bytes()))
        } else if scheme.eq_ignore_ascii_case("basic") {
            let expected = self.basic.as_ref().ok_or(Refusal::UnsupportedScheme)?;
            let decoded = STANDARD
                .decode(credential)
                .map_err(|_| Refusal::Malformed)?;
            expected.ct_eq(&fingerprint(&decoded))
        } else {
            return Err(Refusal::UnsupportedScheme);
        };
        if bool::from(matched) {
            Ok(())
        } else {
            Err(Refusal::NoMatch)
        }
    }
}

/// Compares with every candidate, without stopping at the first match.
fn any_equal(candidates: &[Fingerprint], presented: &Fingerprint) -> Choice {
    candidates.iter().fold(Choice::from(0), |found, candidate| {
        found | candidate.ct_eq(presented)
    })
}

#[cfg(test)]
mod tests;
