//! The Slack Web API calls Versus makes (`chat.postMessage`, `chat.update`), with Slack's failure modes
//! sorted into what the queue should do: wait for `Retry-After`, retry with backoff, or dead-letter.

use super::rate_gate::{retry_after_from_header, RateGate};
use serde_json::Value;
use slack_morphism::api::{SlackApiChatPostMessageRequest, SlackApiChatUpdateRequest};
use slack_morphism::prelude::{SlackChannelId, SlackMessageContent, SlackTs};
use std::time::Duration;
use thiserror::Error;
use versus_shared::infra::config::SlackSettings;
use versus_shared::infra::queue::JobError;
use versus_shared::infra::secret::Secret;

#[derive(Debug, Error)]
pub enum SlackError {
    #[error("Slack rate-limited {method}; retry after {retry_after:?}")]
    RateLimited {
        method: &'static str,
        retry_after: Duration,
    },
    #[error("Slack answered HTTP {status} to {method}")]
    Server { method: &'static str, status: u16 },
    #[error("cannot reach Slack for {method}: {message}")]
    Network {
        method: &'static str,
        message: String,
    },
    #[error("cannot write the {method} request as JSON")]
    Encode {
        method: &'static str,
        source: serde_json::Error,
    },
    #[error("Slack refused {method}: {code}{hint}")]
    Refused {
        method: &'static str,
        code: String,
        hint: &'static str,
        permanent: bool,
    },
}

impl SlackError {
    /// Bounded label for `versus_notifications_failed_total{reason}`: `rate_limited`, `server_error`,
    /// `network`, one of [`KNOWN_CODES`], or `other`. Slack's `ratelimited` answer (HTTP 200,
    /// `ok: false`) is reported as `rate_limited` too, so the alert rules can leave all rate limits out.
    pub fn reason(&self) -> &'static str {
        match self {
            SlackError::RateLimited { .. } => "rate_limited",
            SlackError::Server { .. } => "server_error",
            SlackError::Network { .. } => "network",
            SlackError::Encode { .. } => "other",
            SlackError::Refused { code, .. } if code == "ratelimited" => "rate_limited",
            SlackError::Refused { code, .. } => KNOWN_CODES
                .iter()
                .find(|known| **known == code.as_str())
                .copied()
                .unwrap_or("other"),
        }
    }
}

impl From<SlackError> for JobError {
    fn from(error: SlackError) -> Self {
        match &error {
            SlackError::RateLimited { retry_after, .. } => {
                let after = *retry_after;
                JobError::retry_after(error, after)
            }
            SlackError::Refused {
                permanent: true, ..
            }
            | SlackError::Encode { .. } => JobError::permanent(error),
            _ => JobError::retry(error),
        }
    }
}

/// Slack is on (`alert.slack.enable`) but no bot token is configured.
#[derive(Debug, Error)]
#[error("alert.slack.token is required when alert.slack.enable is true")]
pub struct MissingSlackToken;

/// Slack error codes that are labels of their own in `versus_notifications_failed_total{reason}`.
pub const KNOWN_CODES: &[&str] = &[
    "invalid_auth",
    "not_authed",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "no_permission",
    "missing_scope",
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "msg_too_long",
    "invalid_blocks",
    "invalid_arguments",
    "message_not_found",
    "cant_update_message",
    "ratelimited",
    "internal_error",
];

/// What to tell an operator for Slack errors that cannot fix themselves.
fn classify(code: &str) -> (bool, &'static str) {
    match code {
        "invalid_auth" | "not_authed" | "account_inactive" | "token_revoked" | "token_expired" => {
            (true, " — alert.slack.token is wrong or revoked; install the app again and update SLACK_TOKEN")
        }
        "missing_scope" | "no_permission" => (true, " — the Slack app needs the chat:write scope; add it and reinstall"),
        "channel_not_found" => (true, " — alert.slack.channel_id does not exist or the app cannot see it; use the channel's id (C0123...)"),
        "not_in_channel" => (true, " — invite the Slack app to the channel (/invite @app)"),
        "is_archived" => (true, " — the channel is archived; unarchive it or change alert.slack.channel_id"),
        "msg_too_long" | "invalid_blocks" | "invalid_arguments" | "no_text" | "invalid_attachments" => {
            (true, " — the message was rejected as malformed; check the template (versus-worker --check)")
        }
        "message_not_found" | "cant_update_message" | "edit_window_closed" => (true, " — the original message can no longer be edited"),
        "ratelimited" | "internal_error" | "fatal_error" | "service_unavailable" | "request_timeout" => (false, ""),
        _ => (false, ""),
    }
}

/// A Web API request body (slack-morphism's model of it) and the method it is sent to.
trait WebApiRequest {
    const METHOD: &'static str;
    fn to_json(&self) -> serde_json::Result<Vec<u8>>;
}

impl WebApiRequest for SlackApiChatPostMessageRequest {
    const METHOD: &'static str = "chat.postMessage";
    fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }
}

impl WebApiRequest for SlackApiChatUpdateRequest {
    const METHOD: &'static str = "chat.update";
    fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }
}

/// Where `chat.postMessage` puts a message in the configured channel.
#[derive(Debug, Clone, Copy)]
pub enum Placement<'a> {
    /// A message of its own.
    Channel,
    /// A reply in the thread of the message `ts`.
    Thread(&'a str),
    /// A reply in the thread of the message `ts` that is shown in the channel too.
    ThreadAndChannel(&'a str),
}

/// A message Slack accepted.
#[derive(Debug, Clone)]
pub struct Posted {
    pub channel: String,
    pub ts: String,
}

#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    api_url: String,
    token: Secret,
    pub channel: String,
    gate: RateGate,
}

impl SlackClient {
    /// The client of `alert.slack`, or `None` when Slack is off (notifications are logged instead).
    pub fn from_settings(slack: &SlackSettings) -> Result<Option<Self>, MissingSlackToken> {
        if !slack.enable {
            return Ok(None);
        }
        let token = slack.token.clone().ok_or(MissingSlackToken)?;
        Ok(Some(Self::new(&slack.api_url, token, &slack.channel_id)))
    }

    pub fn new(api_url: &str, token: Secret, channel: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .expect("a TLS backend is compiled in");
        Self {
            http,
            api_url: api_url.trim_end_matches('/').to_string(),
            token,
            channel: channel.to_string(),
            gate: RateGate::default(),
        }
    }

    /// `chat.postMessage` in `channel` (the configured channel when `None`), at `placement`.
    pub async fn post(
        &self,
        channel: Option<&str>,
        content: SlackMessageContent,
        placement: Placement<'_>,
    ) -> Result<Posted, SlackError> {
        let channel = channel.unwrap_or(&self.channel);
        let answer = self
            .call(&post_request(channel, content, placement))
            .await?;
        Ok(Posted {
            channel: answer["channel"].as_str().unwrap_or(channel).to_string(),
            ts: answer["ts"].as_str().unwrap_or_default().to_string(),
        })
    }

    /// `chat.update` of an earlier message.
    pub async fn update(
        &self,
        channel: &str,
        ts: &str,
        content: SlackMessageContent,
    ) -> Result<(), SlackError> {
        self.call(&update_request(channel, ts, content))
            .await
            .map(|_| ())
    }

    /// Slack's answer is read as JSON rather than as slack-morphism's response models: those require the
    /// whole posted `message`, and only `ok`, `error`, `channel` and `ts` matter here.
    async fn call<R: WebApiRequest>(&self, request: &R) -> Result<Value, SlackError> {
        let method = R::METHOD;
        let body = request
            .to_json()
            .map_err(|source| SlackError::Encode { method, source })?;
        self.gate.wait(method).await?;
        let response = self
            .http
            .post(format!("{}/{method}", self.api_url))
            .bearer_auth(self.token.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| SlackError::Network {
                method,
                message: without_url(&e),
            })?;
        let status = response.status();
        if status.as_u16() == 429 {
            let retry_after = retry_after_from_header(
                response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()),
            );
            self.gate.close_for(retry_after);
            metrics::counter!("versus_slack_rate_limited_total").increment(1);
            return Err(SlackError::RateLimited {
                method,
                retry_after,
            });
        }
        if status.is_server_error() {
            return Err(SlackError::Server {
                method,
                status: status.as_u16(),
            });
        }
        let answer: Value = response.json().await.map_err(|e| SlackError::Network {
            method,
            message: format!("unreadable answer (HTTP {status}): {}", without_url(&e)),
        })?;
        if answer["ok"].as_bool() == Some(true) {
            return Ok(answer);
        }
        let code = answer["error"]
            .as_str()
            .unwrap_or("unknown_error")
            .to_string();
        let (permanent, hint) = classify(&code);
        Err(SlackError::Refused {
            method,
            code,
            hint,
            permanent,
        })
    }
}

/// `parse: none` with `link_names: false`: Slack must take the text as written, never turning a bare `@here` or
/// `#channel` from an alert into a mention or a link.
const NO_PARSING: &str = "none";

fn post_request(
    channel: &str,
    content: SlackMessageContent,
    placement: Placement<'_>,
) -> SlackApiChatPostMessageRequest {
    let request = SlackApiChatPostMessageRequest::new(SlackChannelId(channel.to_string()), content)
        .with_link_names(false)
        .with_parse(NO_PARSING.to_string());
    match placement {
        Placement::Channel => request,
        Placement::Thread(ts) => request.with_thread_ts(SlackTs(ts.to_string())),
        Placement::ThreadAndChannel(ts) => request
            .with_thread_ts(SlackTs(ts.to_string()))
            .with_reply_broadcast(true),
    }
}

fn update_request(
    channel: &str,
    ts: &str,
    content: SlackMessageContent,
) -> SlackApiChatUpdateRequest {
    SlackApiChatUpdateRequest::new(
        SlackChannelId(channel.to_string()),
        content,
        SlackTs(ts.to_string()),
    )
    .with_link_names(false)
    .with_parse(NO_PARSING.to_string())
}

/// reqwest errors can carry the URL; keep logs free of anything but the failure itself.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "<slack api>");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(request: &impl WebApiRequest) -> Value {
        serde_json::from_slice(&request.to_json().unwrap()).unwrap()
    }

    fn text(text: &str) -> SlackMessageContent {
        SlackMessageContent::new().with_text(text.to_string())
    }

    #[test]
    fn post_bodies_say_where_the_message_goes_and_nothing_else() {
        let cases = [
            (Placement::Channel, json!({"channel": "C1", "text": "hi"})),
            (
                Placement::Thread("1.2"),
                json!({"channel": "C1", "text": "hi", "thread_ts": "1.2"}),
            ),
            (
                Placement::ThreadAndChannel("1.2"),
                json!({"channel": "C1", "text": "hi", "thread_ts": "1.2", "reply_broadcast": true}),
            ),
        ];
        for (placement, mut expected) in cases {
            expected["link_names"] = json!(false);
            expected["parse"] = json!("none");
            assert_eq!(body(&post_request("C1", text("hi"), placement)), expected);
        }
    }

    #[test]
    fn update_bodies_carry_channel_ts_and_content() {
        let content = text("hi").with_blocks(Vec::new());
        assert_eq!(
            body(&update_request("C1", "1.2", content)),
            json!({"channel": "C1", "ts": "1.2", "text": "hi", "blocks": [],
                   "link_names": false, "parse": "none"})
        );
    }
}
