//! The small HTML pages of the ack flow. No JavaScript: plain forms POST the acknowledgement and the noise
//! mark, each with an optional name.

use super::link_form::NAME_MAX_CHARS;
use chrono::{TimeZone, Utc};
use versus_shared::domain::alert::AlertView;
use versus_shared::domain::incident::{AckResult, Incident, IncidentState};

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub fn format_ms(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "unknown time".into())
}

pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>{}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d1c1d}}\
.state{{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;background:#eee;font-weight:600}}\
.pending{{background:#fde7c2}}.acked{{background:#d7f0dd}}.escalated{{background:#f8d3d3}}.resolved{{background:#d7f0dd}}\
button{{font-size:1.1rem;padding:.6rem 1.4rem;border:0;border-radius:.4rem;background:#007a5a;color:#fff;cursor:pointer}}\
pre{{white-space:pre-wrap;background:#f6f6f6;padding:.8rem;border-radius:.3rem}}\
form{{margin:1rem 0}}input{{font-size:1rem;padding:.4rem;margin:0 .6rem .6rem 0}}button.secondary{{background:#616061}}</style></head><body>\n{}\n</body></html>\n",
        escape(title),
        body
    )
}

fn state_line(incident: &Incident) -> String {
    let detail = match incident.state {
        IncidentState::Pending if incident.oncall => match incident.due_ms {
            Some(due) => format!(
                "waiting for acknowledgement; pages on-call at {}",
                format_ms(due)
            ),
            None => "waiting for acknowledgement".into(),
        },
        IncidentState::Pending => "open".into(),
        IncidentState::Acked => format!(
            "acknowledged by {} at {}",
            incident.acked_by.as_deref().unwrap_or_default(),
            incident.acked_ms.map(format_ms).unwrap_or_default()
        ),
        IncidentState::Escalated => format!(
            "escalated to on-call at {}{}",
            incident.escalated_ms.map(format_ms).unwrap_or_default(),
            match &incident.aws_arn {
                Some(arn) => format!(" (AWS incident {arn})"),
                None => String::new(),
            }
        ),
        IncidentState::Resolved => format!(
            "resolved at {}",
            incident.resolved_ms.map(format_ms).unwrap_or_default()
        ),
    };
    format!(
        "<p>State: <span class=\"state {}\" id=\"state\">{}</span> — {}</p>",
        incident.state,
        incident.state,
        escape(&detail)
    )
}

/// GET: what the alert is, its state, and (while pending) the Acknowledge button.
pub fn show(incident: &Incident, action: &str) -> String {
    let payload = incident.payload_json();
    let summary = AlertView::new(&payload).summary();
    let mut body = format!(
        "<h1 id=\"title\">{}</h1>\n<p>Received {}</p>\n{}\n",
        escape(&incident.title),
        format_ms(incident.created_ms),
        state_line(incident)
    );
    if !summary.is_empty() {
        body.push_str(&format!("<pre id=\"summary\">{}</pre>\n", escape(&summary)));
    }
    if incident.state == IncidentState::Pending {
        body.push_str(&format!(
            "<form method=\"post\" action=\"{}\">{}<button type=\"submit\" id=\"ack\">Acknowledge</button></form>\n",
            escape(action),
            name_field("name")
        ));
    }
    body.push_str(&noise_form(incident, action));
    page(&incident.title, &body)
}

/// The optional "Your name" field.
fn name_field(id: &str) -> String {
    format!(
        "<label for=\"{id}\">Your name (optional)</label> <input type=\"text\" id=\"{id}\" name=\"name\" maxlength=\"{NAME_MAX_CHARS}\" autocomplete=\"name\">"
    )
}

/// "Mark as noise", or "Unmark noise" once marked: in every state, since people often judge an alert after
/// the fact. It posts to the noise route beside the page's own (`…/ack/{token}` → `…/noise/{token}`).
fn noise_form(incident: &Incident, action: &str) -> String {
    let Some((base, token)) = action.rsplit_once("/ack/") else {
        return String::new();
    };
    let (status, flag, label) = match &incident.noise_by {
        Some(by) => (
            format!("<p id=\"noise\">Marked as noise by {}.</p>\n", escape(by)),
            "0",
            "Unmark noise",
        ),
        None => (String::new(), "1", "Mark as noise"),
    };
    format!(
        "{status}<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"noise\" value=\"{flag}\">{}<button type=\"submit\" class=\"secondary\" id=\"noise-button\">{label}</button></form>\n",
        escape(&format!("{base}/noise/{token}")),
        name_field("noise-name")
    )
}

/// POST: the result of acknowledging, and why the name typed with it was not kept, if it was not.
pub fn result(incident_title: &str, result: &AckResult, name_not_kept: Option<&str>) -> String {
    let message = result_message(result);
    let note = name_not_kept.map_or(String::new(), |why| {
        format!(
            "<p id=\"name-not-kept\">Your name was not kept: {}</p>\n",
            escape(why)
        )
    });
    page(
        incident_title,
        &format!(
            "<h1 id=\"title\">{}</h1>\n<p id=\"result\">{}</p>\n{note}",
            escape(incident_title),
            escape(&message)
        ),
    )
}

pub fn result_message(result: &AckResult) -> String {
    match result {
        AckResult::Acked { at_ms, .. } => format!(
            "Acknowledged at {}. On-call will not be paged.",
            format_ms(*at_ms)
        ),
        AckResult::AlreadyAcked { at_ms, by } => {
            format!(
                "Already acknowledged by {} at {}.",
                by.as_deref().unwrap_or_default(),
                format_ms(*at_ms)
            )
        }
        AckResult::Escalated {
            at_ms,
            aws_arn: None,
        } => {
            format!("Too late: on-call was paged at {}.", format_ms(*at_ms))
        }
        AckResult::Escalated {
            at_ms,
            aws_arn: Some(aws_arn),
        } => {
            format!(
                "Too late: on-call was paged at {} (AWS incident {aws_arn}).",
                format_ms(*at_ms)
            )
        }
        AckResult::Resolved { at_ms } => {
            format!("The alert already resolved at {}.", format_ms(*at_ms))
        }
        AckResult::Missing => "This incident no longer exists.".into(),
    }
}

/// A request the page's form could not have meant, with what to change.
pub fn bad_request(message: &str) -> String {
    page(
        "Not accepted",
        &format!(
            "<h1>Not accepted</h1><p id=\"error\">{}</p><p>Go back, correct it and send again.</p>",
            escape(message)
        ),
    )
}

pub fn not_found() -> String {
    page(
        "Not found",
        "<h1>Not found</h1><p>This acknowledgement link is not valid, or its incident has expired.</p>",
    )
}
