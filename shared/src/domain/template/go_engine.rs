//! Which syntax a template is read as, and the glue between [`MessageTemplate`](super::MessageTemplate) and the
//! Go engine ([`go`](super::go)): its errors as [`TemplateError`]s with line and column.

use super::diagnostic::line_column;
use super::go::{EvalError, GoTemplate, SyntaxError, Val};
use super::{scan, Diagnostic, Location, TemplateError};
use crate::domain::mrkdwn::marked;
use crate::infra::config::TemplateSyntax;
use std::fmt;

/// The syntax a template was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Go `text/template`, as Versus Incident templates are written.
    Go,
    /// minijinja (Jinja2 style).
    Jinja,
}

impl fmt::Display for Syntax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Syntax::Go => "Go text/template",
            Syntax::Jinja => "minijinja (Jinja2)",
        })
    }
}

/// How to read a template: the configured syntax, and what a Go template's `env` may read.
#[derive(Debug, Clone, Default)]
pub struct TemplateOptions {
    pub syntax: TemplateSyntax,
    pub allowed_env: Vec<String>,
}

/// The syntax `source` is read as: as configured, or under `auto` Go when it has a Go action (`{{ .x }}`,
/// `{{ if … }}`, `{{ range … }}`, `{{ end }}`, `{{/* */}}`, ...) and minijinja otherwise.
pub fn detect(source: &str, configured: TemplateSyntax) -> Syntax {
    match configured {
        TemplateSyntax::Go => Syntax::Go,
        TemplateSyntax::Jinja => Syntax::Jinja,
        TemplateSyntax::Auto if scan::go_action(source).is_some() => Syntax::Go,
        TemplateSyntax::Auto => Syntax::Jinja,
    }
}

pub fn compile(
    name: &str,
    source: &str,
    options: &TemplateOptions,
) -> Result<GoTemplate, TemplateError> {
    let env = super::go::Env {
        allowed_env: options.allowed_env.clone(),
    };
    GoTemplate::compile(source, env).map_err(|SyntaxError { at, message }| {
        TemplateError::Syntax(Box::new(diagnostic(
            name,
            source,
            at,
            message,
            "fix the Go template (text/template syntax); see docs/templates.md".into(),
        )))
    })
}

/// Renders `data` (the payload with Versus's fields) and seals it for Slack.
pub fn render(
    template: &GoTemplate,
    name: &str,
    source: &str,
    data: &serde_json::Value,
) -> Result<String, TemplateError> {
    match template.render(Val::from_payload(data)) {
        Ok(rendered) => Ok(marked::seal(&rendered)),
        Err(EvalError { at, message }) => Err(TemplateError::Render(Box::new(diagnostic(
            name,
            source,
            at,
            message,
            "check what this action does with the alert's data; the alert is still sent as a plain message; see \
             docs/templates.md"
                .into(),
        )))),
    }
}

fn diagnostic(name: &str, source: &str, at: usize, message: String, hint: String) -> Diagnostic {
    let at = (0..=at.min(source.len()))
        .rev()
        .find(|&i| source.is_char_boundary(i))
        .unwrap_or(0);
    let (line, column) = line_column(source, at);
    Diagnostic {
        location: Location {
            template: name.to_string(),
            line: Some(line),
            column: Some(column),
        },
        message,
        hint,
        source_line: source.lines().nth(line - 1).map(str::to_string),
    }
}
