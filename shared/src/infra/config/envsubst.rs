//! `${VAR}` / `${VAR:-default}` substitution, applied to each string value after the YAML is parsed, so
//! that a substituted secret containing `#`, `: ` or quotes is taken whole, and comments are left alone.
//!
//! Only the braced form is recognised: message templates and passwords may legitimately contain a bare `$`,
//! and `$$` has no special meaning either. A referenced variable that is unset and has no default is an error
//! that names it (and, from the loader, the key), so an operator sees at once what the deployment is missing.

use thiserror::Error;

/// A `${VAR}` reference that could not be resolved.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SubstitutionError {
    #[error("environment variable `{name}` is not set and `${{{name}}}` has no default; set it, or write `${{{name}:-default}}`")]
    Unset { name: String },
    #[error("`${{` is never closed; write `${{NAME}}` or `${{NAME:-default}}`")]
    Unclosed,
    #[error("`${{{body}}}` is not a valid variable name; use letters, digits and `_`")]
    BadName { body: String },
}

/// Replaces every `${VAR}` and `${VAR:-default}` in `input`, looking variables up with `lookup`.
///
/// An empty value counts as set for `${VAR}` and as unset for `${VAR:-default}`, as in POSIX shells.
pub fn substitute(
    input: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, SubstitutionError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(SubstitutionError::Unclosed)?;
        let body = &after[..end];
        let (name, default) = match body.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (body, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(SubstitutionError::BadName {
                body: body.to_string(),
            });
        }
        let value = match (lookup(name), default) {
            (Some(value), Some(default)) if value.is_empty() => default.to_string(),
            (Some(value), _) => value,
            (None, Some(default)) => default.to_string(),
            (None, None) => {
                return Err(SubstitutionError::Unset {
                    name: name.to_string(),
                })
            }
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("xoxb-1".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn replaces_braced_variables_and_defaults() {
        let got = substitute(
            "a: ${TOKEN}\nb: ${MISSING:-x}\nc: ${EMPTY:-d}\nd: ${EMPTY}",
            env,
        )
        .unwrap();
        assert_eq!(got, "a: xoxb-1\nb: x\nc: d\nd: ");
    }

    #[test]
    fn leaves_bare_dollars_alone() {
        let src = "password: pa$$word\ntemplate: cost $5 {{ x }}";
        assert_eq!(substitute(src, env).unwrap(), src);
    }

    #[test]
    fn unset_variable_is_named() {
        let err = substitute("${NOPE}", env).unwrap_err();
        assert_eq!(
            err,
            SubstitutionError::Unset {
                name: "NOPE".into()
            }
        );
        assert!(err.to_string().contains("`NOPE`"));
    }

    #[test]
    fn unclosed_and_bad_names_are_errors() {
        assert_eq!(
            substitute("${OOPS", env).unwrap_err(),
            SubstitutionError::Unclosed
        );
        assert!(matches!(
            substitute("x: ${A B}", env).unwrap_err(),
            SubstitutionError::BadName { .. }
        ));
    }
}
