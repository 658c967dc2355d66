//! `ingest_auth`: the credentials a sender must present to create, page and resolve incidents, in the two
//! forms Alertmanager speaks natively (`http_config.authorization` and `http_config.basic_auth`).

use super::validate::Problems;
use crate::infra::secret::Secret;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngestAuthSettings {
    /// `Authorization: Bearer TOKEN` with any one of these. Several, so a token can be rotated without a gap.
    pub bearer_tokens: Vec<Secret>,
    pub basic_auth: Option<BasicAuthSettings>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BasicAuthSettings {
    pub username: String,
    pub password: Secret,
}

impl IngestAuthSettings {
    /// Every secret it holds, for log redaction.
    pub fn secrets(&self) -> impl Iterator<Item = &Secret> {
        self.bearer_tokens
            .iter()
            .chain(self.basic_auth.as_ref().map(|basic| &basic.password))
    }

    /// An empty token or password (an unset variable, typically) would either let nobody in or, compared
    /// carelessly, everybody: it is refused at start-up instead.
    pub(super) fn check(&self, p: &mut Problems) {
        p.check(
            !self.bearer_tokens.is_empty() || self.basic_auth.is_some(),
            "ingest_auth",
            "names no credentials; set bearer_tokens or basic_auth, or remove ingest_auth to leave ingest open",
        );
        for (index, token) in self.bearer_tokens.iter().enumerate() {
            let key = format!("ingest_auth.bearer_tokens[{index}]");
            p.check(
                !token.is_empty(),
                &key,
                "is empty (is its environment variable set?); an empty token is never accepted",
            );
            p.check(
                !token
                    .expose()
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control()),
                &key,
                "contains a space or control character, which an Authorization header cannot carry",
            );
        }
        if let Some(basic) = &self.basic_auth {
            p.check(
                !basic.username.is_empty()
                    && !basic.username.contains(':')
                    && !basic.username.chars().any(char::is_control),
                "ingest_auth.basic_auth.username",
                "must be non-empty, without ':' or control characters (HTTP Basic separates user and password with ':')",
            );
            p.check(
                !basic.password.is_empty(),
                "ingest_auth.basic_auth.password",
                "is empty (is its environment variable set?); an empty password is never accepted",
            );
        }
    }
}
