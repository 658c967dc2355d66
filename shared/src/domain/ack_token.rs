//! Ack link tokens: `{incident id}.{HMAC-SHA256(ack_secret, id)}` in URL-safe base64, so incident ids can
//! be neither guessed nor forged, and a token can be checked without a Redis lookup.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const CONTEXT: &[u8] = b"versus-ack-v1:";

/// `action_id` of the interactive Slack acknowledge button; its `value` is the ack token.
pub const SLACK_ACK_ACTION_ID: &str = "versus_ack";

#[derive(Clone)]
pub struct AckSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for AckSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AckSigner([redacted])")
    }
}

impl AckSigner {
    /// The signer of an installation whose on-call is ready (enable or initialized_only) and has a secret.
    pub fn from_settings(settings: &crate::infra::config::Settings) -> Option<Self> {
        let oncall = &settings.oncall;
        oncall
            .is_ready()
            .then(|| oncall.ack_secret.as_ref().map(|s| Self::new(s.expose())))
            .flatten()
    }

    pub fn new(secret: &str) -> Self {
        Self {
            key: secret.as_bytes().to_vec(),
        }
    }

    fn mac(&self, id: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(CONTEXT);
        mac.update(id.as_bytes());
        mac
    }

    pub fn token(&self, incident_id: &str) -> String {
        let signature = self.mac(incident_id).finalize().into_bytes();
        format!("{incident_id}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The incident id of a genuine token, or None. The comparison is constant-time.
    pub fn verify(&self, token: &str) -> Option<String> {
        let (id, signature) = token.split_once('.')?;
        if id.is_empty()
            || id.len() > 64
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.mac(id).verify_slice(&signature).ok()?;
        Some(id.to_string())
    }

    /// `public_host` + `/api/incidents/ack/{token}`.
    pub fn ack_url(&self, public_host: &str, incident_id: &str) -> String {
        format!(
            "{}/api/incidents/ack/{}",
            public_host.trim_end_matches('/'),
            self.token(incident_id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genuine_tokens_verify_and_forgeries_do_not() {
        let signer = AckSigner::new("0123456789abcdef0123");
        let token = signer.token("0190aa");
        assert_eq!(signer.verify(&token).as_deref(), Some("0190aa"));
        assert_eq!(AckSigner::new("another-secret-value").verify(&token), None);
        let forged = token.replacen("0190aa", "0190ab", 1);
        assert_eq!(signer.verify(&forged), None);
        assert_eq!(signer.verify("0190aa"), None);
        assert_eq!(signer.verify("0190aa.not-base64!"), None);
        assert_eq!(signer.verify("../etc.x"), None);
    }

    #[test]
    fn ack_url_joins_public_host_cleanly() {
        let signer = AckSigner::new("0123456789abcdef0123");
        let url = signer.ack_url("https://versus.example.com/", "abc");
        assert!(
            url.starts_with("https://versus.example.com/api/incidents/ack/abc."),
            "{url}"
        );
    }
}
