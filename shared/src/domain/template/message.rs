//! A compiled template and how it is rendered for an alert.

use super::diagnostic::{convert_error, line_column};
use super::hint::{go_syntax_hint, DOCS};
use super::names::check_names;
use super::sample::{
    sample_alertmanager_payload, sample_freeform_payload, SAMPLE_ACK_URL, SAMPLE_ESCALATE_AFTER_MS,
};
use super::{autoescape, environment, scan, Diagnostic, Location, TemplateError};
use minijinja::value::Serde;
use minijinja::{Environment, Value};
use std::fmt;
use std::path::Path;

/// What Versus adds to the payload's fields for a template: the facts of on-call, when it applies.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderExtras<'a> {
    /// `AckURL`: the acknowledge link.
    pub ack_url: Option<&'a str>,
    /// `EscalateAfterMinutes`: how long after receipt on-call is paged unless someone acknowledges.
    pub escalate_after_ms: Option<i64>,
}

impl<'a> RenderExtras<'a> {
    /// On-call applies: the ack link, and the wait before paging.
    pub fn oncall(ack_url: &'a str, escalate_after_ms: i64) -> Self {
        Self {
            ack_url: Some(ack_url),
            escalate_after_ms: Some(escalate_after_ms),
        }
    }
}

/// `EscalateAfterMinutes` for a wait of `ms`: whole minutes as an integer (`5`, not `5.0`), else minutes to two
/// decimals (`0.5`); negative waits (clocks apart) are 0.
fn minutes(ms: i64) -> serde_json::Value {
    let ms = ms.max(0);
    if ms % 60_000 == 0 {
        (ms / 60_000).into()
    } else {
        ((ms as f64 / 600.0).round() / 100.0).into()
    }
}

/// A compiled Slack message template.
pub struct MessageTemplate {
    env: Environment<'static>,
    name: String,
}

impl fmt::Debug for MessageTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageTemplate")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl MessageTemplate {
    /// Reads and compiles the template at `path`; the path as written becomes the template's name in errors.
    pub fn from_file(path: &Path) -> Result<Self, TemplateError> {
        let source = std::fs::read_to_string(path).map_err(|source| TemplateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_source(&path.display().to_string(), source)
    }

    /// Compiles `source`, naming it `name` in errors.
    pub fn from_source(name: &str, source: String) -> Result<Self, TemplateError> {
        let mut env = environment();
        let source = source.replace("\r\n", "\n");
        if let Some((offset, action)) = scan::go_action(&source) {
            let (line, column) = line_column(&source, offset);
            let source_line = source.lines().nth(line - 1).map(str::to_string);
            let hint = go_syntax_hint(&format!("{{{{ {action} }}}}"))
                .unwrap_or_else(|| format!("rewrite it in minijinja syntax; {DOCS}"));
            return Err(TemplateError::Syntax(Box::new(Diagnostic {
                location: Location {
                    template: name.to_string(),
                    line: Some(line),
                    column: Some(column),
                },
                message: format!("Go-template action `{{{{ {action} }}}}`"),
                hint,
                source_line,
            })));
        }
        if let Err(err) = env.add_template_owned(name.to_string(), source.clone()) {
            return Err(convert_error(name, &source, &err, false));
        }
        check_names(&env, name, &source)?;
        Ok(MessageTemplate {
            env,
            name: name.to_string(),
        })
    }

    /// The template's name: its path when it came from a file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renders the template for `payload` as mrkdwn for Slack, with `AckURL` set to the ack link or to `""`, and
    /// `EscalateAfterMinutes` to the wait before paging or to none.
    pub fn render(
        &self,
        payload: &serde_json::Value,
        extras: RenderExtras<'_>,
    ) -> Result<String, TemplateError> {
        let mut data = match payload {
            serde_json::Value::Object(map) => map.clone(),
            _ => serde_json::Map::new(),
        };
        // Set last, so a sender cannot put its own link or wait into the message.
        data.insert("AckURL".into(), extras.ack_url.unwrap_or_default().into());
        data.insert(
            "EscalateAfterMinutes".into(),
            extras
                .escalate_after_ms
                .map_or(serde_json::Value::Null, minutes),
        );
        let mut data = serde_json::Value::Object(data);
        autoescape::strip_markers(&mut data);
        let template = self
            .env
            .get_template(&self.name)
            .map_err(|err| convert_error(&self.name, "", &err, true))?;
        template
            .render(Value::from(Serde(&data)))
            .map(|rendered| autoescape::finish(&rendered))
            .map_err(|err| convert_error(&self.name, template.source(), &err, true))
    }

    /// Renders the sample Alertmanager payload (with and without an ack link) and the documented free-form payload,
    /// as `--check` does. Returns the rendering of the Alertmanager sample with an ack link, for display.
    pub fn check(&self) -> Result<String, TemplateError> {
        let sample = sample_alertmanager_payload();
        let none = RenderExtras::default();
        let oncall = RenderExtras::oncall(SAMPLE_ACK_URL, SAMPLE_ESCALATE_AFTER_MS);
        self.render(&sample, none)?;
        self.render(&sample_freeform_payload(), oncall)?;
        self.render(&sample_freeform_payload(), none)?;
        self.render(&serde_json::Value::Null, none)?;
        self.render(&sample, RenderExtras::oncall(SAMPLE_ACK_URL, 0))?;
        self.render(&sample, oncall)
    }
}
