//! Ack link tokens: `{incident id}.{HMAC-SHA256(ack_secret, id)}` in URL-safe base64, so incident ids can
//! be neither guessed nor forged, and a token can be checked without a Redis lookup.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const CONTEXT: &[u8] = b"versus-ack-v1:";

/// `action_id` of the interactive Slack acknowledge button; its `value` is the ack token.
pub const SLACK_ACK_ACTION_ID: &str = "versus_ack";
/// `action_id` of the interactive Slack button that marks the incident as noise; its `value` is the ack token.
pub const SLACK_NOISE_ACTION_ID: &str = "versus_noise";
/// `action_id` of the interactive Slack button that takes the noise mark off again; its `value` is the ack token.
pub const SLACK_UNMARK_NOISE_ACTION_ID: &str = "versus_noise_unmark";

#[derive(Clone)]
pub struct AckSigner {
    /// Signs new tokens and verifies.
    key: Vec<u8>,
    /// Former keys (`oncall.previous_ack_secrets`): they only verify, so links sent before a rotation work.
    previous_keys: Vec<Vec<u8>>,
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
        let current = oncall.ack_secret.as_ref().filter(|_| oncall.is_ready())?;
        let previous = oncall.previous_ack_secrets.iter().map(|s| s.expose());
        Some(Self::with_previous(current.expose(), previous))
    }

    pub fn new(secret: &str) -> Self {
        Self::with_previous(secret, [])
    }

    /// Signs with `secret`; tokens signed with any of `previous` still verify.
    pub fn with_previous<'a>(secret: &str, previous: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            key: secret.as_bytes().to_vec(),
            previous_keys: previous
                .into_iter()
                .map(|s| s.as_bytes().to_vec())
                .collect(),
        }
    }

    fn mac(key: &[u8], id: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(CONTEXT);
        mac.update(id.as_bytes());
        mac
    }

    pub fn token(&self, incident_id: &str) -> String {
        let signature = Self::mac(&self.key, incident_id).finalize().into_bytes();
        format!("{incident_id}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The incident id of a genuine token (signed with the current or a previous key), or None. Each
    /// comparison is constant-time.
    pub fn verify(&self, token: &str) -> Option<String> {
        let (id, signature) = token.split_once('.')?;
        if id.is_empty()
            || id.len() > 64
            || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        std::iter::once(&self.key)
            .chain(&self.previous_keys)
            .any(|key| Self::mac(key, id).verify_slice(&signature).is_ok())
            .then(|| id.to_string())
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
    fn previous_secrets_verify_but_only_the_current_one_signs() {
        let before = AckSigner::new("old-secret-0123456789");
        let old_token = before.token("0190aa");
        let rotated = AckSigner::with_previous("new-secret-0123456789", ["old-secret-0123456789"]);
        assert_eq!(rotated.verify(&old_token).as_deref(), Some("0190aa"));
        let new_token = rotated.token("0190aa");
        assert_eq!(
            new_token,
            AckSigner::new("new-secret-0123456789").token("0190aa")
        );
        assert_eq!(
            before.verify(&new_token),
            None,
            "signed with the current key only"
        );
        let retired = AckSigner::new("new-secret-0123456789");
        assert_eq!(
            retired.verify(&old_token),
            None,
            "a key taken off the list stops verifying"
        );
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
