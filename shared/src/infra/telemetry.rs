//! Logging to stdout through tracing-subscriber: human-readable by default, JSON with `log_format: json`
//! (or `VERSUS_LOG_FORMAT=json`), level from `RUST_LOG` (default `info`).
//!
//! Every line goes through a [`Redactor`] on its way out, whatever crate logged it, so the configured
//! secrets (Slack token, signing secret, ack secrets, Redis password, ingest credentials) never reach the log even at
//! `RUST_LOG=debug` or when a received body contains one.
//!
//! JSON lines are flat: one object per line with `timestamp`, `level`, `message`, the event's fields and
//! the fields of every span the event is in, all at the top level (an event's own field wins over a span's,
//! an inner span's over an outer one's), plus `spans`, the span names from the outermost. So every line of
//! an incident's path has a top-level `incident_id`: `jq 'select(.incident_id == "...")'`.

use crate::infra::config::{LogFormat, Settings};
use crate::infra::secret::Secret;
use serde_json::{Map, Value};
use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber for `settings.log_format`, redacting `settings`' secrets.
pub fn init(settings: &Settings) {
    // `alert.debug_body` logs bodies at debug level; without RUST_LOG, make that one line visible so the
    // product documentation's "debug_body: true # useful for troubleshooting" shows something.
    let default_filter = if settings.alert.debug_body {
        "info,versus_api=debug"
    } else {
        "info"
    };
    init_with(
        settings.log_format,
        Redactor::from_settings(settings),
        default_filter,
    );
}

/// The redactor of the installed subscriber, so that secrets known only after start-up join it.
static LOG_REDACTOR: OnceLock<Arc<RwLock<Redactor>>> = OnceLock::new();

/// Keeps `secret` out of the log from now on, like the configured ones (for a secret obtained after
/// [`init`], such as the generated ack secret).
pub fn redact_in_logs(secret: &Secret) {
    if let Some(redactor) = LOG_REDACTOR.get() {
        redactor
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .add(secret);
    }
}

/// [`init`] with an explicit format, redactor and filter for when `RUST_LOG` is unset.
pub fn init_with(format: LogFormat, redactor: Redactor, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let redactor = Arc::new(RwLock::new(redactor));
    let _ = LOG_REDACTOR.set(redactor.clone());
    let writer = RedactingStdout { redactor };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Json => builder
            .fmt_fields(JsonFields::new())
            .event_format(FlatJson)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Removes configured secrets from text that is about to be logged (a received body, an upstream error,
/// every formatted log line), in case a sender echoes one back. Besides each secret as it is, it removes
/// the forms a log line can carry it in: escaped for JSON, escaped by `{:?}`, and percent-encoded (as in a
/// Redis URL).
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Every form of every secret, longest first.
    patterns: Vec<Secret>,
}

impl Redactor {
    pub fn from_settings(settings: &Settings) -> Self {
        Self::new(
            [
                settings.alert.slack.token.as_ref(),
                settings.alert.slack.signing_secret.as_ref(),
                settings.oncall.ack_secret.as_ref(),
                settings.redis.password.as_ref(),
                settings.redis.sentinel.password.as_ref(),
            ]
            .into_iter()
            .flatten()
            .chain(&settings.oncall.previous_ack_secrets)
            .chain(settings.ingest_auth.iter().flat_map(|auth| auth.secrets()))
            .cloned(),
        )
    }

    /// Secrets shorter than 4 characters are not redacted: they would blank out ordinary words.
    pub fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        let mut redactor = Self::default();
        for secret in secrets {
            redactor.add(&secret);
        }
        redactor
    }

    /// Redacts `secret` too (unless it is shorter than 4 characters).
    pub fn add(&mut self, secret: &Secret) {
        let raw = secret.expose();
        if raw.chars().count() < 4 {
            return;
        }
        let json = serde_json::to_string(raw).unwrap_or_default();
        let debug = format!("{raw:?}");
        for form in [
            raw.to_string(),
            json.trim_matches('"').to_string(),
            debug.trim_matches('"').to_string(),
            crate::infra::redis_conn::percent_encode(raw),
        ] {
            if !self.patterns.iter().any(|p| p.expose() == form) {
                self.patterns.push(Secret::new(form));
            }
        }
        self.patterns
            .sort_by_key(|p| std::cmp::Reverse(p.expose().len()));
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn redact(&self, text: &str) -> String {
        self.patterns.iter().fold(text.to_string(), |acc, secret| {
            if acc.contains(secret.expose()) {
                acc.replace(secret.expose(), "[redacted]")
            } else {
                acc
            }
        })
    }
}

/// Stdout through a [`Redactor`]. tracing-subscriber writes each formatted event with one `write_all`,
/// so a whole line is redacted at once.
struct RedactingStdout {
    redactor: Arc<RwLock<Redactor>>,
}

impl<'a> MakeWriter<'a> for RedactingStdout {
    type Writer = RedactingLine;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingLine {
            redactor: self.redactor.clone(),
        }
    }
}

struct RedactingLine {
    redactor: Arc<RwLock<Redactor>>,
}

impl Write for RedactingLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let redactor = self.redactor.read().unwrap_or_else(PoisonError::into_inner);
        let mut out = io::stdout().lock();
        if redactor.is_empty() {
            out.write_all(buf)?;
        } else {
            let line = String::from_utf8_lossy(buf);
            out.write_all(redactor.redact(&line).as_bytes())?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

/// The JSON line format described in the module documentation.
struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Map::new();
        let mut spans = Vec::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                spans.push(Value::from(span.name()));
                let extensions = span.extensions();
                let Some(formatted) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                if let Ok(Value::Object(span_fields)) =
                    serde_json::from_str::<Value>(&formatted.fields)
                {
                    fields.extend(span_fields);
                }
            }
        }
        let mut own = FieldVisitor::default();
        event.record(&mut own);
        fields.extend(own.fields);
        let message = fields.remove("message").unwrap_or(Value::from(""));

        // Written by hand to keep this order: timestamp, level, message, then the fields (sorted), then spans.
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut entries: Vec<(String, Value)> = vec![
            ("timestamp".into(), Value::from(timestamp)),
            (
                "level".into(),
                Value::from(event.metadata().level().as_str()),
            ),
            ("message".into(), message),
        ];
        entries.extend(
            fields
                .into_iter()
                .filter(|(key, _)| !matches!(key.as_str(), "timestamp" | "level" | "spans")),
        );
        if !spans.is_empty() {
            entries.push(("spans".into(), Value::Array(spans)));
        }
        let mut text = String::from("{");
        for (i, (key, value)) in entries.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&serde_json::to_string(key).map_err(|_| fmt::Error)?);
            text.push(':');
            text.push_str(&serde_json::to_string(value).map_err(|_| fmt::Error)?);
        }
        text.push('}');
        writeln!(writer, "{text}")
    }
}

/// An event's fields as JSON values. Fields of events bridged from the `log` crate (`log.target`, ...)
/// are left out, as tracing-subscriber's own formatters do.
#[derive(Default)]
struct FieldVisitor {
    fields: Map<String, Value>,
}

impl FieldVisitor {
    fn put(&mut self, field: &Field, value: Value) {
        if !field.name().starts_with("log.") {
            self.fields.insert(field.name().to_string(), value);
        }
    }
}

impl Visit for FieldVisitor {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::from(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

/// `error: its cause`, for a log line about an error that wraps another.
pub fn with_cause(error: &dyn std::error::Error) -> String {
    match error.source() {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tracing_subscriber::fmt::MakeWriter;

    #[test]
    fn redacts_every_form_of_a_secret() {
        let redactor = Redactor::new([Secret::new("s3cr\"et/pass"), Secret::new("abc")]);
        let text = r#"raw s3cr"et/pass json s3cr\"et/pass url s3cr%22et%2Fpass short abc"#;
        assert_eq!(
            redactor.redact(text),
            "raw [redacted] json [redacted] url [redacted] short abc"
        );
    }

    #[test]
    fn a_secret_added_later_is_redacted_in_every_form_too() {
        let mut redactor = Redactor::new([Secret::new("first-secret")]);
        redactor.add(&Secret::new("late/secret"));
        assert_eq!(
            redactor.redact("first-secret late/secret late%2Fsecret"),
            "[redacted] [redacted] [redacted]"
        );
    }

    #[test]
    fn the_sentinel_password_is_redacted_too() {
        let mut settings = Settings::default();
        settings.redis.sentinel.password = Some(Secret::new("sentinel-pass"));
        let redactor = Redactor::from_settings(&settings);
        assert_eq!(redactor.redact("auth sentinel-pass"), "auth [redacted]");
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn json_lines_carry_span_fields_at_the_top_level() {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .fmt_fields(JsonFields::new())
            .event_format(FlatJson)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let outer = tracing::info_span!("job", incident_id = "inc-1", queue = "notify");
            let _outer = outer.enter();
            let inner = tracing::info_span!("notify", attempt = 2_u32);
            let _inner = inner.enter();
            tracing::warn!(ts = "1.2", queue = "own", "posted to Slack");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let line: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["message"], "posted to Slack");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["incident_id"], "inc-1");
        assert_eq!(line["attempt"], 2);
        assert_eq!(line["ts"], "1.2");
        assert_eq!(line["queue"], "own", "the event's own field wins");
        assert_eq!(line["spans"], serde_json::json!(["job", "notify"]));
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(
            text.starts_with(r#"{"timestamp":""#)
                && text.contains(r#"","level":"WARN","message":"posted to Slack","#),
            "{text}"
        );
    }
}
