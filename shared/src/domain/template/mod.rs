//! Slack message templates.
//!
//! A [`MessageTemplate`] is compiled once from `alert.slack.template_path` and rendered for every alert. Templates
//! are minijinja (Jinja2 syntax); `docs/templates.md` maps the Go-template forms of earlier Versus releases to it.
//!
//! The data a template sees is every top-level field of the received JSON object (`status`, `commonLabels`,
//! `alerts`, ... for Alertmanager; any keys for free-form JSON) plus `AckURL`, the acknowledge link, which is the
//! empty string when on-call does not apply. A payload that is not an object contributes nothing.
//!
//! Missing data never fails a render: lookups are chainable, so `{{ commonLabels.instance }}` on a payload without
//! `commonLabels` renders empty. Mistakes in the template itself (syntax errors, unknown filters or tests) are
//! found when it is compiled and reported with the template's name, line and column.

mod configured;
pub mod filters;
pub mod go_layout;

use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};
use std::fmt;
use std::path::{Path, PathBuf};

/// A realistic Alertmanager v4 webhook body: `--check` renders templates against it, and so do tests.
pub const SAMPLE_ALERTMANAGER_JSON: &str = include_str!("sample_alertmanager.json");

/// The ack link used when `--check` renders a template as if on-call applied.
pub const SAMPLE_ACK_URL: &str = "https://versus.example.com/api/incidents/ack/sample-token";

/// [`SAMPLE_ALERTMANAGER_JSON`], parsed.
pub fn sample_alertmanager_payload() -> serde_json::Value {
    // The file is checked by a unit test, so this cannot fail in a build that passed its tests.
    serde_json::from_str(SAMPLE_ALERTMANAGER_JSON).unwrap_or(serde_json::Value::Null)
}

/// A free-form body as the product documentation sends it with `curl`.
pub fn sample_freeform_payload() -> serde_json::Value {
    serde_json::json!({
        "Logs": "[CRITICAL] This is a critical alert that SHOULD trigger on-call",
        "ServiceName": "test-service",
        "Severity": "critical"
    })
}

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

/// The environment every Versus template is compiled in: minijinja's builtins plus [`filters`], chainable
/// undefined values, no auto-escaping (Slack mrkdwn is not HTML; `slack_escape` is there when wanted), and
/// whitespace handled as Go templates do (no block trimming; use `{%-` / `-%}` to trim).
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_debug(true);
    filters::register(&mut env);
    env
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

/// Turns a minijinja error into a [`TemplateError`] that says where and what to do.
fn convert_error(
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
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

const DOCS: &str = "see docs/templates.md";

fn hint_for(kind: ErrorKind, detail: &str, line: Option<&str>, rendering: bool) -> String {
    let line = line.unwrap_or_default();
    match kind {
        ErrorKind::SyntaxError => {
            if let Some(go) = go_syntax_hint(line) {
                return go;
            }
            format!("fix the template syntax (minijinja, Jinja2 style: {{{{ value }}}}, {{% if %}}…{{% endif %}}); {DOCS}")
        }
        ErrorKind::UnknownFilter => {
            format!("use one of the available filters ({}); {DOCS}", available_filters())
        }
        ErrorKind::UnknownTest => format!("use a test minijinja knows, such as `is defined` or `is none`; {DOCS}"),
        ErrorKind::UnknownFunction | ErrorKind::UnknownMethod => {
            format!("call only functions and methods minijinja provides (range, dict, lower(), ...); {DOCS}")
        }
        ErrorKind::MissingArgument | ErrorKind::TooManyArguments => {
            format!("check the number of arguments: `date(\"Jan 02, 2006\")`, `default(\"n/a\")`, `join(\", \")`; {DOCS}")
        }
        ErrorKind::InvalidOperation if detail.starts_with("date:") => {
            "fix the date filter's layout or zone argument".to_string()
        }
        _ if rendering => format!(
            "check what this expression does with the alert's data (a value of an unexpected type?); the alert is \
             still sent as a plain message; {DOCS}"
        ),
        _ => format!("fix the template; {DOCS}"),
    }
}

/// A pointed hint when a line still uses Go-template syntax.
fn go_syntax_hint(line: &str) -> Option<String> {
    let squeezed: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let action = |word: &str| {
        ["{{ ", "{{- ", "{{"]
            .iter()
            .any(|open| squeezed.contains(&format!("{open}{word}")))
    };
    let fix = if action("range ") {
        "write `{% for alert in alerts %}` … `{% endfor %}` instead of `{{ range .alerts }}` … `{{ end }}`".to_string()
    } else if action("if ") || action("else") || action("end") || action("with ") {
        "write `{% if AckURL %}` … `{% else %}` … `{% endif %}`, and `a == \"b\"` instead of `eq .a \"b\"`".to_string()
    } else if action("$") {
        "write `{% set name = value %}` instead of `{{ $name := value }}`".to_string()
    } else if action("/*") {
        "write comments as `{# … #}`".to_string()
    } else if action(".")
        || squeezed.contains("(.")
        || (squeezed.contains("{{") && squeezed.contains(" ."))
    {
        "drop the leading dot: `{{ commonLabels.severity }}` instead of `{{ .commonLabels.severity }}`".to_string()
    } else if let Some(pos) = squeezed
        .find("| date \"")
        .or_else(|| squeezed.find("| default \""))
    {
        let filter = squeezed[pos + 2..].split(' ').next().unwrap_or("date");
        format!(
            "filter arguments go in parentheses: `| {filter}(\"…\")` instead of `| {filter} \"…\"`"
        )
    } else {
        return None;
    };
    Some(format!("this is Go-template syntax; {fix} ({DOCS})"))
}

fn available_filters() -> String {
    filters::DOCUMENTED_BUILTINS
        .iter()
        .chain(filters::VERSUS_FILTERS)
        .copied()
        .chain(["length", "replace", "trim", "first", "last", "map", "…"])
        .collect::<Vec<_>>()
        .join(", ")
}

/// Compiling does not look filters and tests up (minijinja resolves them while rendering, and only on the paths a
/// render takes), so a misspelt filter in a branch the sample payload never reaches would fail in production. This
/// walks the template's expressions and asks the environment about every filter and test name used.
fn check_names(env: &Environment<'static>, name: &str, source: &str) -> Result<(), TemplateError> {
    for usage in scan::filter_and_test_names(source) {
        let probe = match usage.kind {
            scan::NameKind::Filter => format!("{{{{ x | {} }}}}", usage.name),
            scan::NameKind::Test => format!("{{{{ x is {} }}}}", usage.name),
        };
        let unknown = match env.render_str(&probe, ()) {
            Err(err) => matches!(
                err.kind(),
                ErrorKind::UnknownFilter | ErrorKind::UnknownTest
            ),
            Ok(_) => false,
        };
        if !unknown {
            continue;
        }
        let (line, column) = line_column(source, usage.offset);
        let (what, hint) = match usage.kind {
            scan::NameKind::Filter => {
                let suggestion = closest(
                    &usage.name,
                    filters::DOCUMENTED_BUILTINS
                        .iter()
                        .chain(filters::VERSUS_FILTERS)
                        .chain(filters::OTHER_BUILTINS),
                );
                let hint = match suggestion {
                    Some(s) => format!(
                        "did you mean '{s}'? Available filters: {}; {DOCS}",
                        available_filters()
                    ),
                    None => hint_for(ErrorKind::UnknownFilter, "", None, false),
                };
                ("filter", hint)
            }
            scan::NameKind::Test => ("test", hint_for(ErrorKind::UnknownTest, "", None, false)),
        };
        return Err(TemplateError::Syntax(Box::new(Diagnostic {
            location: Location {
                template: name.to_string(),
                line: Some(line),
                column: Some(column),
            },
            message: format!("unknown {what} '{}'", usage.name),
            hint,
            source_line: source.lines().nth(line - 1).map(str::to_string),
        })));
    }
    Ok(())
}

/// The known name closest to `name` by edit distance, if it is close enough to be a likely typo.
fn closest<'a>(name: &str, known: impl Iterator<Item = &'a &'a str>) -> Option<&'a str> {
    known
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2 && *d < k.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A small scanner over Jinja source that finds the names used as filters (`| name`, `{% filter name %}`) and
/// tests (`is name`, `is not name`). It skips text, comments, `{% raw %}` blocks and string literals. It only runs
/// on templates minijinja has already compiled, so it can assume the syntax is valid.
mod scan {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum NameKind {
        Filter,
        Test,
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Usage {
        pub kind: NameKind,
        pub name: String,
        /// Byte offset of the name in the source.
        pub offset: usize,
    }

    pub fn filter_and_test_names(source: &str) -> Vec<Usage> {
        let mut out = Vec::new();
        for_each_tag(source, |statement, _, tokens| {
            collect(tokens, statement, &mut out)
        });
        out
    }

    /// The first `{{ … }}` that is a Go-template action (`{{ .x }}`, `{{ range .alerts }}`, `{{ end }}`, `{{ $v := … }}`,
    /// `{{/* … */}}`): its byte offset and trimmed text. Some of these even compile as Jinja (`{{ end }}` is a variable
    /// named `end`) and would silently render nothing, so they are refused with a pointer to the minijinja form.
    pub fn go_action(source: &str) -> Option<(usize, String)> {
        let mut found = None;
        for_each_tag(source, |statement, body, _| {
            if statement || found.is_some() {
                return;
            }
            let trimmed = source[body.clone()]
                .trim_start_matches(['-', '+'])
                .trim_start();
            let offset = body.end
                - source[body.clone()]
                    .trim_start_matches(['-', '+'])
                    .trim_start()
                    .len();
            let text = trimmed.trim_end_matches(['-', '+']).trim_end();
            let dotted =
                |rest: &str| rest.trim_start().starts_with(['.', '$']) || rest.contains(" .");
            let is_go = text == "end"
                || text == "else"
                || text.starts_with(['.', '$'])
                || text.starts_with("/*")
                || [
                    "range ",
                    "if ",
                    "with ",
                    "else if ",
                    "template ",
                    "define ",
                    "block ",
                ]
                .iter()
                .any(|word| text.strip_prefix(word).is_some_and(dotted));
            if is_go {
                found = Some((offset, text.to_string()));
            }
        });
        found
    }

    /// Calls `f(is_statement, body_range, tokens)` for every `{{ … }}` and `{% … %}` outside comments and raw blocks.
    fn for_each_tag<'a>(
        source: &'a str,
        mut f: impl FnMut(bool, std::ops::Range<usize>, &[Tok<'a>]),
    ) {
        let b = source.as_bytes();
        let mut i = 0;
        while i + 1 < b.len() {
            if b[i] != b'{' {
                i += 1;
                continue;
            }
            match b[i + 1] {
                b'#' => {
                    i = source[i + 2..]
                        .find("#}")
                        .map_or(b.len(), |p| i + 2 + p + 2);
                }
                b'{' | b'%' => {
                    let statement = b[i + 1] == b'%';
                    let close = if statement { "%}" } else { "}}" };
                    let (end, tokens) = tokens(source, i + 2, close);
                    if statement && is_raw(&tokens) {
                        // Skip to the end of the raw block.
                        i = find_endraw(source, end).unwrap_or(b.len());
                        continue;
                    }
                    let body_end = if source[..end].ends_with(close) {
                        end - 2
                    } else {
                        end
                    };
                    f(statement, i + 2..body_end.max(i + 2), &tokens);
                    i = end;
                }
                _ => i += 1,
            }
        }
    }

    #[derive(Debug)]
    enum Tok<'a> {
        Ident(&'a str, usize),
        Pipe,
        Other,
    }

    /// Tokenises an expression or statement body from `start` up to its closing delimiter; returns the offset just
    /// past the delimiter.
    fn tokens<'a>(source: &'a str, start: usize, close: &str) -> (usize, Vec<Tok<'a>>) {
        let b = source.as_bytes();
        let mut toks = Vec::new();
        let mut i = start;
        let mut depth = 0usize;
        while i < b.len() {
            let c = b[i];
            if depth == 0 && source[i..].starts_with(close) {
                return (i + 2, toks);
            }
            // Whitespace control (`-%}`, `+}}`) before the delimiter.
            if (c == b'-' || c == b'+') && depth == 0 && source[i + 1..].starts_with(close) {
                i += 1;
                continue;
            }
            match c {
                b'\'' | b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != c {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                    toks.push(Tok::Other);
                }
                b'|' => {
                    toks.push(Tok::Pipe);
                    i += 1;
                }
                b'{' | b'[' | b'(' => {
                    depth += 1;
                    toks.push(Tok::Other);
                    i += 1;
                }
                b'}' | b']' | b')' => {
                    depth = depth.saturating_sub(1);
                    toks.push(Tok::Other);
                    i += 1;
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let s = i;
                    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                        i += 1;
                    }
                    toks.push(Tok::Ident(&source[s..i], s));
                }
                c if c.is_ascii_whitespace() => i += 1,
                _ => {
                    toks.push(Tok::Other);
                    // Step over a whole character so that offsets stay on char boundaries.
                    i += source[i..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
        (b.len(), toks)
    }

    fn is_raw(tokens: &[Tok<'_>]) -> bool {
        matches!(tokens, [Tok::Ident("raw", _)])
    }

    fn find_endraw(source: &str, from: usize) -> Option<usize> {
        let mut at = from;
        while let Some(p) = source[at..].find("{%") {
            let open = at + p;
            let (end, toks) = tokens(source, open + 2, "%}");
            if matches!(toks.as_slice(), [Tok::Ident("endraw", _)]) {
                return Some(end);
            }
            at = open + 2;
        }
        None
    }

    fn collect(tokens: &[Tok<'_>], statement: bool, out: &mut Vec<Usage>) {
        let mut push = |kind, name: &str, offset| {
            out.push(Usage {
                kind,
                name: name.to_string(),
                offset,
            })
        };
        if statement {
            if let [Tok::Ident("filter", _), Tok::Ident(name, at), ..] = tokens {
                push(NameKind::Filter, name, *at);
            }
        }
        for (n, tok) in tokens.iter().enumerate() {
            match (tok, tokens.get(n + 1), tokens.get(n + 2)) {
                (Tok::Pipe, Some(Tok::Ident(name, at)), _) => push(NameKind::Filter, name, *at),
                (Tok::Ident("is", _), Some(Tok::Ident("not", _)), Some(Tok::Ident(name, at))) => {
                    push(NameKind::Test, name, *at)
                }
                (Tok::Ident("is", _), Some(Tok::Ident(name, at)), _) if *name != "not" => {
                    push(NameKind::Test, name, *at)
                }
                _ => {}
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn names(source: &str) -> Vec<(NameKind, String)> {
            filter_and_test_names(source)
                .into_iter()
                .map(|u| (u.kind, u.name))
                .collect()
        }

        #[test]
        fn finds_filters_and_tests_in_expressions_and_statements() {
            let found = names(
                "{{ a | upper }} {{- b|default('|x') | join(\", \") -}}\n{% if c is defined and d is not none %}\
                 {% filter lower %}x{% endfilter %}{% for x in y | sort %}{% endfor %}{% endif %}",
            );
            use NameKind::*;
            assert_eq!(
                found,
                vec![
                    (Filter, "upper".into()),
                    (Filter, "default".into()),
                    (Filter, "join".into()),
                    (Test, "defined".into()),
                    (Test, "none".into()),
                    (Filter, "lower".into()),
                    (Filter, "sort".into()),
                ]
            );
        }

        #[test]
        fn skips_text_comments_raw_blocks_and_strings() {
            assert!(names(
                "a | b {# {{ x | nope }} #} {% raw %}{{ y | nope }}{% endraw %} {{ 'x | nope' }}"
            )
            .is_empty());
            assert_eq!(
                names("{{ {'a': {'b': 1}} | tojson }}"),
                vec![(NameKind::Filter, "tojson".into())]
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHIPPED: &str = include_str!("../../../../config/slack_message.tmpl");
    const BASIC: &str = include_str!("../../../../config/examples/slack_message_basic.tmpl");

    fn compile(source: &str) -> MessageTemplate {
        MessageTemplate::from_source("test.tmpl", source.to_string()).unwrap()
    }

    fn shipped() -> MessageTemplate {
        MessageTemplate::from_source("config/slack_message.tmpl", SHIPPED.to_string()).unwrap()
    }

    #[test]
    fn sample_payload_is_a_realistic_alertmanager_v4_body() {
        let p: serde_json::Value = serde_json::from_str(SAMPLE_ALERTMANAGER_JSON).unwrap();
        assert_eq!(p["version"], "4");
        assert_eq!(p["status"], "firing");
        for key in [
            "groupKey",
            "receiver",
            "groupLabels",
            "commonLabels",
            "commonAnnotations",
            "externalURL",
        ] {
            assert!(!p[key].is_null(), "missing {key}");
        }
        assert!(p["truncatedAlerts"].is_number());
        let alerts = p["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 3);
        for a in alerts {
            for l in [
                "alertname",
                "severity",
                "instance",
                "service",
                "system",
                "team",
            ] {
                assert!(a["labels"][l].is_string(), "label {l}");
            }
            for n in ["summary", "description", "runbook", "dashboard"] {
                assert!(a["annotations"][n].is_string(), "annotation {n}");
            }
            let starts = a["startsAt"].as_str().unwrap();
            assert!(chrono::DateTime::parse_from_rfc3339(starts).is_ok());
            assert!(a["generatorURL"].is_string() && a["fingerprint"].is_string());
        }
        assert_eq!(sample_alertmanager_payload(), p);
    }

    #[test]
    fn data_is_top_level_fields_plus_ack_url() {
        let t = compile(
            "{{ status }}|{{ commonLabels.severity | upper }}|{{ alerts | length }}|{{ AckURL }}",
        );
        let sample = sample_alertmanager_payload();
        assert_eq!(
            t.render(&sample, Some("https://x/ack/1")).unwrap(),
            "firing|CRITICAL|3|https://x/ack/1"
        );
        assert_eq!(t.render(&sample, None).unwrap(), "firing|CRITICAL|3|");
    }

    #[test]
    fn ack_url_is_empty_without_on_call_and_cannot_be_spoofed() {
        let t = compile("{% if AckURL %}ack: {{ AckURL }}{% else %}no ack{% endif %}");
        let spoofed = json!({ "AckURL": "https://evil.example" });
        assert_eq!(t.render(&spoofed, None).unwrap(), "no ack");
        assert_eq!(
            t.render(&spoofed, Some("https://v/ack/t")).unwrap(),
            "ack: https://v/ack/t"
        );
    }

    #[test]
    fn non_object_payloads_render_with_only_ack_url() {
        let t = compile("[{{ status }}][{{ AckURL }}]");
        for p in [
            json!([1, 2]),
            json!("text"),
            json!(42),
            serde_json::Value::Null,
        ] {
            assert_eq!(t.render(&p, Some("u")).unwrap(), "[][u]");
        }
    }

    #[test]
    fn undefined_lookups_render_empty() {
        let t = compile(
            "{{ commonLabels.instance }}|{{ alerts[0].labels.x }}|{{ a.b.c.d | upper }}|{% for x in nothing %}x{% endfor %}",
        );
        assert_eq!(t.render(&sample_freeform_payload(), None).unwrap(), "|||");
    }

    #[test]
    fn shipped_templates_render_sample_and_freeform_payloads() {
        for (name, source) in [
            ("config/slack_message.tmpl", SHIPPED),
            ("basic.tmpl", BASIC),
        ] {
            let t = MessageTemplate::from_source(name, source.to_string()).unwrap();
            t.check().unwrap();
            for ack in [None, Some(SAMPLE_ACK_URL)] {
                let out = t.render(&sample_alertmanager_payload(), ack).unwrap();
                assert!(out.contains("HighErrorRate"), "{name}: {out}");
                assert!(out.contains("CRITICAL"), "{name}: {out}");
                assert_eq!(
                    out.contains(SAMPLE_ACK_URL) || out.contains("escalate"),
                    ack.is_some(),
                    "{name}: {out}"
                );
                // The basic template is a literal translation that only knows Alertmanager fields; it must still
                // render free-form JSON without failing.
                let free = t.render(&sample_freeform_payload(), ack).unwrap();
                if name != "basic.tmpl" {
                    assert!(free.contains("test-service"), "{name}: {free}");
                    assert!(free.contains("CRITICAL"), "{name}: {free}");
                }
            }
        }
    }

    #[test]
    fn shipped_enhanced_template_output() {
        let out = shipped()
            .render(&sample_alertmanager_payload(), Some(SAMPLE_ACK_URL))
            .unwrap();
        assert!(
            out.starts_with("🔥 *CRITICAL Alert: HighErrorRate*"),
            "{out}"
        );
        for want in [
            "🌐 *System*: `payments`",
            "🚨 *Status*: `firing`",
            "⏱️ *Detected*: `Jan 02, 2024 15:04:05 UTC`",
            "📚 *Runbook*: https://runbooks.example.com/checkout/high-error-rate",
            "📊 *Dashboard*:",
            "⚠️ *Auto-escalation*: This alert will escalate in 2 minutes if not acknowledged.",
        ] {
            assert!(out.contains(want), "missing {want:?} in\n{out}");
        }
        // The three alerts fire on different instances, so commonLabels has none: all three are listed.
        assert!(out.contains("checkout-7f9c6d5b8-2xkqp:8080"), "{out}");
        assert_eq!(out.matches("📝 *Description*").count(), 3, "{out}");
        assert!(!out.contains("\n\n\n"), "no runs of blank lines:\n{out}");
        let free = shipped().render(&sample_freeform_payload(), None).unwrap();
        assert!(
            free.contains("[CRITICAL] This is a critical alert"),
            "{free}"
        );
        assert!(!free.contains("Auto-escalation"), "{free}");
    }

    #[test]
    fn shipped_enhanced_template_survives_odd_payloads() {
        for payload in [
            json!({ "alerts": 5, "commonLabels": "x" }),
            json!({ "alerts": "text" }),
            json!({ "alerts": [1, { "labels": 3, "annotations": [] }, null] }),
            json!({ "alerts": [], "status": { "nested": true } }),
            json!({ "Severity": 3, "ServiceName": ["a"], "Logs": null }),
            json!([1, 2]),
            serde_json::Value::Null,
        ] {
            for ack in [None, Some(SAMPLE_ACK_URL)] {
                if let Err(err) = shipped().render(&payload, ack) {
                    panic!("{payload}: {}", err.report());
                }
            }
        }
    }

    #[test]
    fn documented_minijinja_forms_work() {
        // The right-hand column of docs/templates.md's Go-to-minijinja table, rendered against the sample.
        let payload = json!({
            "status": "firing",
            "commonLabels": { "severity": "critical", "app-name": "shop" },
            "commonAnnotations": { "runbook": "https://rb" },
            "alerts": [{ "labels": { "instance": "a" }, "annotations": { "description": "d1" } },
                       { "labels": { "instance": "b" }, "annotations": { "description": "d2" } }],
            "startsAt": "2024-01-02T15:04:05Z",
            "X": "", "list": ["a", "b"], "name": "disk", "pct": 93, "a": true, "b": false
        });
        for (source, want) in [
            ("{{ status }}", "firing"),
            ("{{ commonLabels.severity | upper }}", "CRITICAL"),
            ("{{ commonLabels[\"app-name\"] }}", "shop"),
            ("{% for alert in alerts %}{{ alert.annotations.description }};{% endfor %}", "d1;d2;"),
            ("{% for a in alerts %}{{ loop.index0 }}{% endfor %}", "01"),
            ("{% if AckURL %}ack{% endif %}", "ack"),
            ("{% if commonLabels.severity == \"critical\" %}yes{% endif %}", "yes"),
            ("{% if status != \"resolved\" %}yes{% endif %}", "yes"),
            ("{% if a and b %}1{% elif a or b %}2{% else %}3{% endif %}{% if not b %}4{% endif %}", "24"),
            ("{% if commonAnnotations.runbook %}{{ commonAnnotations.runbook }}{% endif %}", "https://rb"),
            ("{% set sev = commonLabels.severity %}{{ sev }}", "critical"),
            ("{{ alerts | length }}", "2"),
            ("{{ startsAt | date(\"Jan 02, 2006 15:04:05 MST\") }}", "Jan 02, 2024 15:04:05 UTC"),
            ("{{ missing | default(\"n/a\") }}|{{ X | default(\"n/a\") }}|{{ X | default(\"n/a\", true) }}", "n/a||n/a"),
            ("{{ list | join(\", \") }}", "a, b"),
            ("{{ alerts | map(attribute=\"labels.instance\") | join(\", \") }}", "a, b"),
            ("{{ commonLabels | tojson }}", r#"{"app-name": "shop", "severity": "critical"}"#),
            ("{{ \"%s is %d%%\" | format(name, pct) }}", "disk is 93%"),
            ("<{{ AckURL }}|Click here>", "<https://v/ack|Click here>"),
            ("{# comment #}x {{- \" y \" -}} z", "x y z"),
        ] {
            let out = compile(source).render(&payload, Some("https://v/ack"));
            assert_eq!(out.as_deref().map_err(|e| e.to_string()), Ok(want), "{source}");
        }
    }

    #[test]
    fn syntax_error_reports_line_and_column() {
        let err = MessageTemplate::from_source(
            "config/slack_message.tmpl",
            "line one\n\nsecond {{ status }\n".into(),
        )
        .unwrap_err();
        assert!(matches!(err, TemplateError::Syntax(_)), "{err:?}");
        assert_eq!(err.line(), Some(3));
        assert!(err.column().is_some(), "{err:?}");
        assert!(
            err.to_string().starts_with("config/slack_message.tmpl:3:"),
            "{err}"
        );
        assert!(
            err.report().contains("\n 3 | second {{ status }"),
            "{}",
            err.report()
        );
    }

    #[test]
    fn unknown_filter_is_reported_at_compile_time_with_a_suggestion() {
        let source = "🔥 *{{ commonLabels.severity | upper }}*\n{% if false %}\n    {{ startsAt | datee(\"Jan 02\") }}\n{% endif %}\n";
        let err =
            MessageTemplate::from_source("config/slack_message.tmpl", source.into()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "config/slack_message.tmpl:3:19: unknown filter 'datee' — did you mean 'date'?"
            ),
            "{text}"
        );
        assert!(
            err.report().contains("\n   |                   ^"),
            "{}",
            err.report()
        );
        let err = MessageTemplate::from_source("t", "{% if x is defind %}{% endif %}".into())
            .unwrap_err();
        assert_eq!(
            err.to_string().split(" — ").next().unwrap(),
            "t:1:12: unknown test 'defind'"
        );
    }

    #[test]
    fn go_template_syntax_gets_a_migration_hint() {
        for (source, hint) in [
            (
                "🔥 {{ .commonLabels.severity | upper }}",
                "drop the leading dot",
            ),
            ("{{ range .alerts }}x{{ end }}", "{% for alert in alerts %}"),
            (
                "{% if x %}{{ if eq .a \"b\" }}{% endif %}",
                "{% if AckURL %}",
            ),
            ("ok\n{{ end }}", "{% endif %}"),
            ("{{ $first := index .alerts 0 }}", "{% set name = value %}"),
            ("{{/* a comment */}}", "{# … #}"),
            ("{{ startsAt | date \"Jan 02\" }}", "parentheses"),
        ] {
            let err = MessageTemplate::from_source("go.tmpl", source.into()).unwrap_err();
            assert!(err.to_string().contains(hint), "{source}: {err}");
        }
    }

    #[test]
    fn render_error_carries_location() {
        let t = compile("ok\n{{ t | date(\"%Q\") }}");
        let err = t
            .render(&json!({"t": "2024-01-02T15:04:05Z"}), None)
            .unwrap_err();
        assert!(matches!(err, TemplateError::Render(_)), "{err:?}");
        assert_eq!(err.line(), Some(2));
        assert!(err.to_string().starts_with("test.tmpl:2:"), "{err}");
        assert!(err.to_string().contains("strftime"), "{err}");
    }

    #[test]
    fn missing_file_names_the_path_and_the_config_key() {
        let err = MessageTemplate::from_file(Path::new("/nonexistent/slack.tmpl")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("/nonexistent/slack.tmpl: cannot read the template"),
            "{text}"
        );
        assert!(text.contains("alert.slack.template_path"), "{text}");
    }

    #[test]
    fn from_file_uses_the_path_as_name() {
        let dir = std::env::temp_dir().join(format!("versus-template-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.tmpl");
        std::fs::write(&path, "a\r\n{{ x | nosuchfilter }}\r\n").unwrap();
        let err = MessageTemplate::from_file(&path).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!(
                "{}:2:8: unknown filter 'nosuchfilter'",
                path.display()
            )),
            "{err}"
        );
        std::fs::write(&path, SHIPPED).unwrap();
        let t = MessageTemplate::from_file(&path).unwrap();
        assert_eq!(t.name(), path.display().to_string());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn message_template_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MessageTemplate>();
        assert_send_sync::<TemplateError>();
    }
}
