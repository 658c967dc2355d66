//! The small HTML pages of the ack flow. No JavaScript: a plain form POSTs the acknowledgement.

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

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>{}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d1c1d}}\
.state{{display:inline-block;padding:.2rem .6rem;border-radius:.3rem;background:#eee;font-weight:600}}\
.pending{{background:#fde7c2}}.acked{{background:#d7f0dd}}.escalated{{background:#f8d3d3}}.resolved{{background:#d7f0dd}}\
button{{font-size:1.1rem;padding:.6rem 1.4rem;border:0;border-radius:.4rem;background:#007a5a;color:#fff;cursor:pointer}}\
pre{{white-space:pre-wrap;background:#f6f6f6;padding:.8rem;border-radius:.3rem}}</style></head><body>\n{}\n</body></html>\n",
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
            "<form method=\"post\" action=\"{}\"><button type=\"submit\" id=\"ack\">Acknowledge</button></form>\n",
            escape(action)
        ));
    }
    page(&incident.title, &body)
}

/// POST: the result of acknowledging.
pub fn result(incident_title: &str, result: &AckResult) -> String {
    let message = result_message(result);
    page(
        incident_title,
        &format!(
            "<h1 id=\"title\">{}</h1>\n<p id=\"result\">{}</p>\n",
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

pub fn not_found() -> String {
    page(
        "Not found",
        "<h1>Not found</h1><p>This acknowledgement link is not valid, or its incident has expired.</p>",
    )
}
