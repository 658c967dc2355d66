//! What went wrong where in a template: the error type, and its conversion from minijinja's errors.

use super::hint::hint_for;
use minijinja::ErrorKind;
use std::fmt;
use std::path::PathBuf;

/// Where in a template something went wrong. Lines and columns count from 1; the column counts characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub template: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.template)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// What went wrong where in a template, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    /// What is wrong, e.g. `unknown filter 'datee'`.
    pub message: String,
    /// What to do about it.
    pub hint: String,
    /// The template line the location points at, when known.
    pub source_line: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} — {}", self.location, self.message, self.hint)
    }
}

/// Why a template could not be loaded or rendered. `Display` is one line: `where: what — how to fix it`, e.g.
/// `config/slack_message.tmpl:12:5: unknown filter 'datee' — did you mean 'date'? ...`.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("{}: cannot read the template: {source} — check alert.slack.template_path", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The template does not compile, or uses a filter or test that does not exist.
    #[error("{0}")]
    Syntax(Box<Diagnostic>),
    /// Rendering failed (a filter got arguments it cannot use, an operation on the wrong type, ...).
    #[error("{0}")]
    Render(Box<Diagnostic>),
}

impl TemplateError {
    /// Details of a syntax or render error.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            TemplateError::Io { .. } => None,
            TemplateError::Syntax(d) | TemplateError::Render(d) => Some(d),
        }
    }

    /// The template name, line and column, for syntax and render errors.
    pub fn location(&self) -> Option<&Location> {
        self.diagnostic().map(|d| &d.location)
    }

    pub fn line(&self) -> Option<usize> {
        self.location().and_then(|l| l.line)
    }

    pub fn column(&self) -> Option<usize> {
        self.location().and_then(|l| l.column)
    }

    /// The one-line message followed by the offending template line and a caret under the column, for `--check`
    /// and other places where a multi-line report reads better than a log field.
    pub fn report(&self) -> String {
        let mut out = self.to_string();
        let Some(d) = self.diagnostic() else {
            return out;
        };
        if let (Some(text), Some(line)) = (&d.source_line, d.location.line) {
            let gutter = line.to_string();
            out.push_str(&format!("\n {gutter} | {text}"));
            if let Some(column) = d.location.column {
                let pad: String = text
                    .chars()
                    .take(column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                out.push_str(&format!("\n {} | {pad}^", " ".repeat(gutter.len())));
            }
        }
        out
    }
}

/// Turns a minijinja error into a [`TemplateError`] that says where and what to do.
pub(super) fn convert_error(
    name: &str,
    source: &str,
    err: &minijinja::Error,
    rendering: bool,
) -> TemplateError {
    let (line, column) = match err
        .range()
        .filter(|r| r.start <= source.len() && source.is_char_boundary(r.start))
    {
        Some(range) => {
            let (line, column) = line_column(source, range.start);
            (Some(line), Some(column))
        }
        None => (err.line(), None),
    };
    let source_line = line
        .and_then(|l| source.lines().nth(l - 1))
        .map(str::to_string);
    let message = match err.detail() {
        Some(detail) => format!("{}: {detail}", err.kind()),
        None => err.kind().to_string(),
    };
    let hint = hint_for(
        err.kind(),
        err.detail().unwrap_or_default(),
        source_line.as_deref(),
        rendering,
    );
    let location = Location {
        template: name.to_string(),
        line,
        column,
    };
    if rendering && err.kind() != ErrorKind::SyntaxError {
        TemplateError::Render(Box::new(Diagnostic {
            location,
            message,
            hint,
            source_line,
        }))
    } else {
        TemplateError::Syntax(Box::new(Diagnostic {
            location,
            message,
            hint,
            source_line,
        }))
    }
}

/// 1-based line and character column of byte `offset` in `source`.
pub(super) fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
