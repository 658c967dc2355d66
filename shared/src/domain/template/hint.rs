//! What to tell the author of a template that does not work: one hint per kind of mistake.

use super::filters;
use minijinja::ErrorKind;

pub(super) const DOCS: &str = "see docs/templates.md";

pub(super) fn hint_for(
    kind: ErrorKind,
    detail: &str,
    line: Option<&str>,
    rendering: bool,
) -> String {
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
pub(super) fn go_syntax_hint(line: &str) -> Option<String> {
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

pub(super) fn available_filters() -> String {
    filters::DOCUMENTED_BUILTINS
        .iter()
        .chain(filters::VERSUS_FILTERS)
        .copied()
        .chain(["length", "replace", "trim", "first", "last", "map", "…"])
        .collect::<Vec<_>>()
        .join(", ")
}
