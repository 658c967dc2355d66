//! `POST /api/slack/interactions`: Slack's callback when someone presses an interactive button of an
//! incident's message (Acknowledge, Noise, Unmark noise). The request must carry a valid `X-Slack-Signature` (v0, HMAC-SHA256 over `v0:{timestamp}:{body}`)
//! made no more than 5 minutes ago, and must not have been seen before; otherwise `401` and nothing changes.
//! Slack wants an answer within 3 s: the ack is one Redis script, and the message update is queued.

use super::ack::record;
use super::link_answers::write;
use super::noise;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};
use slack_morphism::prelude::SlackSigningSecret;
use slack_morphism::signature_verifier::{
    SlackEventSignatureVerifier, SlackEventSignatureVerifierError,
};
use versus_shared::domain::ack_token::{
    SLACK_ACK_ACTION_ID, SLACK_NOISE_ACTION_ID, SLACK_UNMARK_NOISE_ACTION_ID,
};
use versus_shared::domain::alert::hex_digest;
use versus_shared::domain::incident::AckChannel;
use versus_shared::domain::mrkdwn;

/// How long a signature is remembered to refuse replays: longer than the 5 minutes a timestamp stays valid.
const REPLAY_WINDOW_SECONDS: u64 = 600;

#[derive(Deserialize)]
struct InteractionForm {
    payload: String,
}

fn unauthorized(reason: &str) -> HttpResponse {
    metrics::counter!("versus_slack_callbacks_rejected_total").increment(1);
    tracing::warn!(reason, "Slack callback rejected");
    HttpResponse::Unauthorized().json(json!({ "error": reason }))
}

fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

pub async fn interactions(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(secret) = state.settings.alert.slack.signing_secret.as_ref() else {
        return HttpResponse::NotFound()
            .json(json!({ "error": "Slack interactivity is not configured here; set alert.slack.signing_secret" }));
    };
    let (Some(signature), Some(timestamp)) = (
        header(&req, SlackEventSignatureVerifier::SLACK_SIGNED_HASH_HEADER),
        header(&req, SlackEventSignatureVerifier::SLACK_SIGNED_TIMESTAMP),
    ) else {
        return unauthorized("missing X-Slack-Signature or X-Slack-Request-Timestamp");
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return unauthorized("body is not UTF-8");
    };
    let verifier =
        SlackEventSignatureVerifier::new(&SlackSigningSecret::new(secret.expose().to_string()));
    if let Err(error) = verifier.verify(signature, text, timestamp) {
        let reason = match error {
            SlackEventSignatureVerifierError::IncorrectOrExpiredTimestampError(_) => {
                "stale or invalid timestamp (more than 5 minutes from now)"
            }
            _ => "signature does not match alert.slack.signing_secret",
        };
        return unauthorized(reason);
    }
    let budget = state.settings.redis.request_budget();
    let replay_key = format!(
        "{}slack:seen:{}",
        state.settings.redis.stored_prefix(),
        hex_digest(signature.as_bytes())
    );
    // One command, so a crash or timeout between "remember" and "expire" cannot leave a key that never
    // expires (and a first sighting is never mistaken for a replay).
    let remember = redis::cmd("SET")
        .arg(&replay_key)
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(REPLAY_WINDOW_SECONDS)
        .to_owned();
    let first_time = tokio::time::timeout(
        budget,
        remember.query_async::<Option<String>>(&mut state.redis.clone()),
    )
    .await;
    match first_time {
        Ok(Ok(Some(_))) => {}
        Ok(Ok(None)) => return unauthorized("replayed request"),
        _ => {
            return HttpResponse::ServiceUnavailable()
                .json(json!({ "error": "Redis is unavailable; try again" }))
        }
    }

    let payload: Option<Value> = serde_urlencoded::from_str::<InteractionForm>(text)
        .ok()
        .and_then(|form| serde_json::from_str(&form.payload).ok());
    let Some(payload) = payload else {
        return HttpResponse::BadRequest()
            .json(json!({ "error": "expected a form field `payload` holding JSON" }));
    };
    let ours = [
        SLACK_ACK_ACTION_ID,
        SLACK_NOISE_ACTION_ID,
        SLACK_UNMARK_NOISE_ACTION_ID,
    ];
    let Some((action_id, token)) = payload["actions"]
        .as_array()
        .and_then(|actions| {
            actions
                .iter()
                .find(|a| ours.iter().any(|id| a["action_id"] == *id))
        })
        .and_then(|action| Some((action["action_id"].as_str()?, action["value"].as_str()?)))
    else {
        // Other interactions (not ours) need no answer but 200.
        return HttpResponse::Ok().finish();
    };
    let Some(id) = state
        .signer
        .as_ref()
        .and_then(|signer| signer.verify(token))
    else {
        tracing::warn!("Slack callback carried an ack token that does not verify");
        return HttpResponse::Ok().finish();
    };
    // Only a real user id is kept: messages write it as a mention, and anything else could write mrkdwn.
    let user_id = payload["user"]["id"]
        .as_str()
        .filter(|id| mrkdwn::user_mention(id).is_some());
    let answer = if action_id == SLACK_ACK_ACTION_ID {
        let by = user_id
            .and_then(mrkdwn::user_mention)
            .unwrap_or_else(|| UNKNOWN_USER.into());
        let person = user_id.map(|id| format!("slack:{id}")).unwrap_or_default();
        let ack = state.incidents.ack(&id, &by, AckChannel::Slack, &person);
        write(&state, ack)
            .await
            .map(|result| record(&id, &result, "slack"))
    } else {
        let by = user_id
            .map(|id| format!("slack:{id}"))
            .unwrap_or_else(|| UNKNOWN_USER.into());
        let mark = action_id == SLACK_NOISE_ACTION_ID;
        write(&state, state.incidents.mark_noise(&id, mark, &by))
            .await
            .map(|result| noise::record(&id, result, "slack"))
    };
    match answer {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(error) => actix_web::ResponseError::error_response(&error),
    }
}

/// Who a click is recorded as when its user id is not one Slack issues.
const UNKNOWN_USER: &str = "a Slack user";
