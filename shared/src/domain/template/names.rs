//! Filter and test names a template uses that the environment does not know, found at compile time.

use super::diagnostic::line_column;
use super::hint::{available_filters, hint_for, DOCS};
use super::{filters, scan, Diagnostic, Location, TemplateError};
use crate::domain::spelling::closest;
use minijinja::{Environment, ErrorKind};

/// Compiling does not look filters and tests up (minijinja resolves them while rendering, and only on the paths a
/// render takes), so a misspelt filter in a branch the sample payload never reaches would fail in production. This
/// walks the template's expressions and asks the environment about every filter and test name used.
pub(super) fn check_names(
    env: &Environment<'static>,
    name: &str,
    source: &str,
) -> Result<(), TemplateError> {
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
                        .chain(filters::OTHER_BUILTINS)
                        .copied(),
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
