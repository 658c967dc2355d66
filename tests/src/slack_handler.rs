//! The request handler of FakeSlack: checks each call like Slack does, applies programmed failures,
//! answers, and records the call.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::call_outcome::CallOutcome;
use crate::fake_server::{lock, Shared};
use crate::fake_slack::{Failure, SlackCall, SlackState};

/// The answer decided for one call, before it is recorded.
struct Answer {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
    outcome: CallOutcome,
}

impl Answer {
    fn slack_error(code: &str, outcome: CallOutcome) -> Self {
        Self {
            status: StatusCode::OK,
            body: json!({"ok": false, "error": code}),
            retry_after: None,
            outcome,
        }
    }
}

pub(crate) async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Shared<SlackState>>,
) -> HttpResponse {
    let received_at = Instant::now();
    let received_at_system = SystemTime::now();
    let method = req.path().trim_start_matches('/').to_string();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let authorization = header("authorization");
    let content_type = header("content-type");
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();

    let token = lock(&state).token.clone();
    let checked = check_call(
        &req,
        &method,
        authorization.as_deref(),
        content_type.as_deref(),
        parsed.as_ref(),
        &token,
    );

    let answer = match checked {
        Err(answer) => answer,
        Ok(()) => {
            let failure = lock(&state).journal.plan.take();
            match failure {
                Some(Failure::Delay(d)) => {
                    tokio::time::sleep(d).await;
                    succeed(&state, &method, parsed.as_ref().expect("checked body"))
                }
                Some(f) => inject(f),
                None => succeed(&state, &method, parsed.as_ref().expect("checked body")),
            }
        }
    };

    let mut st = lock(&state);
    st.journal.calls.push(SlackCall {
        method,
        body: parsed,
        raw_body,
        authorization,
        content_type,
        user_agent: header("user-agent"),
        received_at,
        received_at_system,
        status: answer.status.as_u16(),
        response: answer.body.clone(),
        outcome: answer.outcome,
    });
    drop(st);

    let mut resp = HttpResponse::build(answer.status);
    if let Some(secs) = answer.retry_after {
        resp.insert_header(("Retry-After", secs.to_string()));
    }
    match answer.body {
        Value::String(text) => resp.content_type("text/plain").body(text),
        body => resp.json(body),
    }
}

/// Checks what real Slack checks; `Err` carries the refusal to send.
fn check_call(
    req: &HttpRequest,
    method: &str,
    authorization: Option<&str>,
    content_type: Option<&str>,
    body: Option<&Value>,
    token: &str,
) -> Result<(), Answer> {
    let reject =
        |code: &str, why: String| Err(Answer::slack_error(code, CallOutcome::Rejected(why)));
    if req.method() != actix_web::http::Method::POST {
        return reject(
            "invalid_request",
            format!("HTTP method {} (Versus must POST)", req.method()),
        );
    }
    if method != "chat.postMessage" && method != "chat.update" {
        return reject(
            "unknown_method",
            format!("unknown Web API method {method:?}"),
        );
    }
    match authorization {
        None => return reject("not_authed", "no Authorization header".into()),
        Some(a) if a != format!("Bearer {token}") => {
            return reject(
                "invalid_auth",
                format!("Authorization is {a:?}, expected the Bearer token"),
            )
        }
        Some(_) => {}
    }
    if !is_json_content_type(content_type) {
        return reject(
            "invalid_arguments",
            format!("Content-Type is {content_type:?}, expected application/json"),
        );
    }
    let Some(obj) = body.and_then(Value::as_object) else {
        return reject("invalid_arguments", "body is not a JSON object".into());
    };
    match obj.get("channel") {
        Some(Value::String(c)) if !c.is_empty() => {}
        other => {
            return reject(
                "invalid_arguments",
                format!("channel must be a non-empty string, got {other:?}"),
            )
        }
    }
    if let Some(text) = obj.get("text") {
        if !text.is_string() {
            return reject(
                "invalid_arguments",
                format!("text must be a string, got {text}"),
            );
        }
    }
    if let Some(blocks) = obj.get("blocks") {
        if !blocks.as_array().is_some_and(|b| {
            b.iter()
                .all(|blk| blk.get("type").is_some_and(Value::is_string))
        }) {
            return reject(
                "invalid_blocks",
                format!("blocks must be an array of objects with a type, got {blocks}"),
            );
        }
    }
    if method == "chat.postMessage" && obj.get("text").is_none() && obj.get("blocks").is_none() {
        return reject("no_text", "chat.postMessage needs text or blocks".into());
    }
    if method == "chat.update" && !obj.get("ts").is_some_and(Value::is_string) {
        return reject(
            "invalid_arguments",
            "chat.update needs ts as a string".into(),
        );
    }
    Ok(())
}

/// `application/json`, optionally with a `charset=utf-8` parameter.
fn is_json_content_type(value: Option<&str>) -> bool {
    let Some(value) = value else { return false };
    let mut parts = value.split(';').map(str::trim);
    let essence_ok = parts
        .next()
        .is_some_and(|e| e.eq_ignore_ascii_case("application/json"));
    essence_ok
        && parts.all(|p| {
            p.eq_ignore_ascii_case("charset=utf-8") || p.eq_ignore_ascii_case("charset=\"utf-8\"")
        })
}

fn inject(failure: Failure) -> Answer {
    let outcome = CallOutcome::Injected(format!("{failure:?}"));
    match failure {
        Failure::RateLimited { retry_after_secs } => Answer {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: json!({"ok": false, "error": "ratelimited"}),
            retry_after: Some(retry_after_secs),
            outcome,
        },
        Failure::ServerError => Answer {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: Value::String("Internal Server Error".into()),
            retry_after: None,
            outcome,
        },
        Failure::OkFalse(code) => Answer::slack_error(&code, outcome),
        Failure::Delay(_) => unreachable!("a delay is applied before answering normally"),
    }
}

/// Posts or updates the message and builds Slack's success answer.
fn succeed(state: &Shared<SlackState>, method: &str, body: &Value) -> Answer {
    let mut st = lock(state);
    let channel = body["channel"].as_str().unwrap_or_default().to_string();
    let mut message = json!({"type": "message", "user": "U0VERSUSBOT", "bot_id": "B0VERSUSBOT"});
    for key in ["text", "blocks"] {
        if let Some(v) = body.get(key) {
            message[key] = v.clone();
        }
    }
    let ts = if method == "chat.update" {
        let ts = body["ts"].as_str().unwrap_or_default().to_string();
        match st.messages.get(&ts) {
            Some(c) if *c == channel => ts,
            Some(c) => {
                let why = format!(
                    "chat.update of ts {ts} in channel {channel}, but it was posted in {c}"
                );
                return Answer::slack_error("message_not_found", CallOutcome::Rejected(why));
            }
            None => {
                let why = format!("chat.update of ts {ts}, which was never posted");
                return Answer::slack_error("message_not_found", CallOutcome::Rejected(why));
            }
        }
    } else {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros() as u64;
        st.last_ts_micros = now.max(st.last_ts_micros + 1);
        let ts = format!(
            "{}.{:06}",
            st.last_ts_micros / 1_000_000,
            st.last_ts_micros % 1_000_000
        );
        st.messages.insert(ts.clone(), channel.clone());
        ts
    };
    message["ts"] = json!(ts);
    let mut answer = json!({"ok": true, "channel": channel, "ts": ts, "message": message});
    if method == "chat.update" {
        answer["text"] = body.get("text").cloned().unwrap_or(json!(""));
    }
    Answer {
        status: StatusCode::OK,
        body: answer,
        retry_after: None,
        outcome: CallOutcome::Accepted,
    }
}
