//! AWS Signature Version 4, written for the fake SSM Incidents server.
//!
//! The fake must refuse what real AWS refuses: a worker that sends unsigned requests, signs with the
//! wrong secret, or changes the body after signing would pass against a lenient fake and fail in
//! production. So the fake rebuilds the canonical request from what actually arrived on the wire and
//! checks the signature, and tests can sign requests themselves (rightly or wrongly) with [`sign`].
//!
//! Only header-based signing (`Authorization: AWS4-HMAC-SHA256 ...`) is handled, with the
//! double-encoded canonical path that every service but S3 uses.

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::sigv4_canonical::header;
pub use crate::sigv4_canonical::{
    canonical_request, sha256_hex, signature, signing_key, string_to_sign,
};

/// The only algorithm name SigV4 (not SigV4a) uses.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far `X-Amz-Date` may be from the receiver's clock, as AWS allows.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// A request as received (or about to be sent), in wire form.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// `GET`, `POST`, ...
    pub method: &'a str,
    /// The path as sent on the wire (already percent-encoded once).
    pub path: &'a str,
    /// The raw query string, without `?`; empty when there is none.
    pub query: &'a str,
    /// Every header as (name, value); names in any case, repeated names allowed.
    pub headers: &'a [(String, String)],
    /// The exact body bytes.
    pub body: &'a [u8],
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader {
    pub access_key: String,
    /// `yyyymmdd` from the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lower-case header names, in the order given.
    pub signed_headers: Vec<String>,
    /// 64 lower-case hex digits.
    pub signature: String,
}

impl AuthorizationHeader {
    /// `yyyymmdd/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// Why a request's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    MissingHeader(&'static str),
    MalformedAuthorization(String),
    MalformedDate(String),
    ClockSkew(String),
    UnknownAccessKey(String),
    WrongService(String),
    SignedHeaderMissing(String),
    ContentHashMismatch {
        header: String,
        actual: String,
    },
    SignatureMismatch {
        expected: String,
        received: String,
        canonical_request: String,
    },
}

impl fmt::Display for SigV4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeader(h) => write!(f, "missing header {h}"),
            Self::MalformedAuthorization(why) => write!(f, "malformed Authorization header: {why}"),
            Self::MalformedDate(why) => write!(f, "malformed X-Amz-Date: {why}"),
            Self::ClockSkew(why) => write!(f, "signature expired: {why}"),
            Self::UnknownAccessKey(k) => write!(f, "unknown access key {k}"),
            Self::WrongService(s) => write!(f, "credential scope names service {s}"),
            Self::SignedHeaderMissing(h) => write!(f, "signed header {h} is not in the request"),
            Self::ContentHashMismatch { header, actual } => write!(
                f,
                "x-amz-content-sha256 is {header} but the body hashes to {actual}"
            ),
            Self::SignatureMismatch { expected, received, canonical_request } => write!(
                f,
                "signature {received} does not match {expected}; canonical request was:\n{canonical_request}"
            ),
        }
    }
}

impl std::error::Error for SigV4Error {}

/// The credentials and service a verifier expects.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub access_key: String,
    pub secret_key: String,
    pub service: String,
}

impl Verifier {
    /// Checks the request's SigV4 header signature; on success returns the parsed Authorization header.
    pub fn verify(
        &self,
        req: &SignableRequest<'_>,
        now: SystemTime,
    ) -> Result<AuthorizationHeader, SigV4Error> {
        let auth_value = header(req.headers, "authorization")
            .ok_or(SigV4Error::MissingHeader("Authorization"))?;
        let auth = parse_authorization(auth_value)?;
        if auth.access_key != self.access_key {
            return Err(SigV4Error::UnknownAccessKey(auth.access_key));
        }
        if auth.service != self.service {
            return Err(SigV4Error::WrongService(auth.service));
        }
        let amz_date =
            header(req.headers, "x-amz-date").ok_or(SigV4Error::MissingHeader("X-Amz-Date"))?;
        let signed_at = parse_amz_date(amz_date)?;
        if !amz_date.starts_with(&auth.date) {
            return Err(SigV4Error::MalformedDate(format!(
                "{amz_date} is not on the credential date {}",
                auth.date
            )));
        }
        let skew = match now.duration_since(signed_at) {
            Ok(behind) => behind,
            Err(ahead) => ahead.duration(),
        };
        if skew > MAX_CLOCK_SKEW {
            return Err(SigV4Error::ClockSkew(format!(
                "{amz_date} is {skew:?} away from now"
            )));
        }
        for required in ["host", "x-amz-date"] {
            if !auth.signed_headers.iter().any(|h| h == required) {
                return Err(SigV4Error::MalformedAuthorization(format!(
                    "SignedHeaders lacks {required}"
                )));
            }
        }
        let actual_hash = sha256_hex(req.body);
        let payload_hash = match header(req.headers, "x-amz-content-sha256") {
            Some(declared) if declared == "UNSIGNED-PAYLOAD" => declared.to_string(),
            Some(declared) if declared != actual_hash => {
                return Err(SigV4Error::ContentHashMismatch {
                    header: declared.to_string(),
                    actual: actual_hash,
                });
            }
            _ => actual_hash,
        };
        let creq = canonical_request(req, &auth.signed_headers, &payload_hash)?;
        let sts = string_to_sign(amz_date, &auth.scope(), &creq);
        let expected = signature(
            &self.secret_key,
            &auth.date,
            &auth.region,
            &auth.service,
            &sts,
        );
        if expected != auth.signature {
            return Err(SigV4Error::SignatureMismatch {
                expected,
                received: auth.signature,
                canonical_request: creq,
            });
        }
        Ok(auth)
    }
}

/// Signs `req` over all of its headers (which must include `host` and `x-amz-date`) and returns the
/// `Authorization` header value. Used by tests to send requests signed rightly or wrongly.
pub fn sign(
    req: &SignableRequest<'_>,
    access_key: &str,
    secret_key: &str,
    region: &str,
    service: &str,
) -> String {
    let amz_date =
        header(req.headers, "x-amz-date").expect("sign: the request needs an x-amz-date header");
    let date = &amz_date[..8.min(amz_date.len())];
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names.retain(|n| n != "authorization");
    let payload_hash = header(req.headers, "x-amz-content-sha256")
        .map(str::to_string)
        .unwrap_or_else(|| sha256_hex(req.body));
    let creq =
        canonical_request(req, &names, &payload_hash).expect("sign: all named headers are present");
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let sts = string_to_sign(amz_date, &scope, &creq);
    let sig = signature(secret_key, date, region, service, &sts);
    format!(
        "{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={}, Signature={sig}",
        names.join(";")
    )
}

/// Formats a time as `X-Amz-Date` wants it: `yyyymmddThhmmssZ`.
pub fn format_amz_date(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// Parses `yyyymmddThhmmssZ`.
pub fn parse_amz_date(s: &str) -> Result<SystemTime, SigV4Error> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ")
        .map_err(|e| SigV4Error::MalformedDate(format!("{s:?}: {e}")))?;
    Ok(naive.and_utc().into())
}

/// Splits the Authorization header into its parts, checking each one's form.
pub fn parse_authorization(value: &str) -> Result<AuthorizationHeader, SigV4Error> {
    let bad = |why: String| SigV4Error::MalformedAuthorization(why);
    let rest = value
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| bad(format!("does not start with \"{ALGORITHM} \": {value:?}")))?;
    let (mut credential, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (key, val) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| bad(format!("component without '=': {part:?}")))?;
        match key {
            "Credential" => credential = Some(val),
            "SignedHeaders" => signed = Some(val),
            "Signature" => sig = Some(val),
            other => return Err(bad(format!("unknown component {other}"))),
        }
    }
    let credential = credential.ok_or_else(|| bad("no Credential".into()))?;
    let signed = signed.ok_or_else(|| bad("no SignedHeaders".into()))?;
    let sig = sig.ok_or_else(|| bad("no Signature".into()))?;

    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, terminator] = scope[..] else {
        return Err(bad(format!(
            "Credential is not AKID/date/region/service/aws4_request: {credential}"
        )));
    };
    if terminator != "aws4_request" {
        return Err(bad(format!(
            "Credential does not end in aws4_request: {credential}"
        )));
    }
    if access_key.is_empty() || region.is_empty() || service.is_empty() {
        return Err(bad(format!("Credential has an empty part: {credential}")));
    }
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("Credential date is not yyyymmdd: {date}")));
    }
    let signed_headers: Vec<String> = signed.split(';').map(str::to_string).collect();
    if signed_headers
        .iter()
        .any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase()))
    {
        return Err(bad(format!(
            "SignedHeaders must be non-empty lower-case names: {signed}"
        )));
    }
    if signed_headers.windows(2).any(|w| w[0] >= w[1]) {
        return Err(bad(format!(
            "SignedHeaders must be sorted and unique: {signed}"
        )));
    }
    if sig.len() != 64
        || !sig
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(bad(format!(
            "Signature is not 64 lower-case hex digits: {sig}"
        )));
    }
    Ok(AuthorizationHeader {
        access_key: access_key.into(),
        date: date.into(),
        region: region.into(),
        service: service.into(),
        signed_headers,
        signature: sig.into(),
    })
}

#[cfg(test)]
mod tests;
