//! A compiled template and how it is rendered for an alert.

use super::diagnostic::{convert_error, line_column};
use super::hint::{go_syntax_hint, DOCS};
use super::names::check_names;
use super::sample::{sample_alertmanager_payload, sample_freeform_payload, SAMPLE_ACK_URL};
use super::{environment, scan, Diagnostic, Location, TemplateError};
use minijinja::value::Serde;
use minijinja::{Environment, Value};
use std::fmt;
use std::path::Path;

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

    /// Renders the template for `payload`, with `AckURL` set to `ack_url` or to `""`.
    pub fn render(
        &self,
        payload: &serde_json::Value,
        ack_url: Option<&str>,
    ) -> Result<String, TemplateError> {
        let mut data = match payload {
            serde_json::Value::Object(map) => map.clone(),
            _ => serde_json::Map::new(),
        };
        // Set last, so a sender cannot put its own link into the message.
        data.insert("AckURL".into(), ack_url.unwrap_or_default().into());
        let template = self
            .env
            .get_template(&self.name)
            .map_err(|err| convert_error(&self.name, "", &err, true))?;
        template
            .render(Value::from(Serde(&data)))
            .map_err(|err| convert_error(&self.name, template.source(), &err, true))
    }

    /// Renders the sample Alertmanager payload (with and without an ack link) and the documented free-form payload,
    /// as `--check` does. Returns the rendering of the Alertmanager sample with an ack link, for display.
    pub fn check(&self) -> Result<String, TemplateError> {
        let sample = sample_alertmanager_payload();
        self.render(&sample, None)?;
        self.render(&sample_freeform_payload(), Some(SAMPLE_ACK_URL))?;
        self.render(&sample_freeform_payload(), None)?;
        self.render(&serde_json::Value::Null, None)?;
        self.render(&sample, Some(SAMPLE_ACK_URL))
    }
}
