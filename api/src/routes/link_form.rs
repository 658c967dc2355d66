//! The optional body of an ack or noise POST: the page's form (`name`, `noise`) or the same fields as JSON.
//! No body is valid (an unnamed ack, a mark). Bodies of other content types are ignored, as they always were.
//!
//! The name is untrusted: it is shown on the page, in Slack and in reports. It is trimmed and refused (never
//! quietly changed) when it holds control or direction-changing characters, is longer than
//! [`NAME_MAX_CHARS`], or starts with `slack:`, which is how a Slack user is stored.

use crate::error::ApiError;
use actix_web::http::header;
use actix_web::HttpRequest;
use serde_json::Value;

/// The longest name kept, in characters (the page's field has the same `maxlength`).
pub const NAME_MAX_CHARS: usize = 64;

/// Names the report gives groups of acks; a typed name could otherwise join one of them.
const RESERVED_NAMES: [&str; 3] = ["(other)", "(none)", "(unknown Slack user)"];

/// `by` of a link ack or mark that gave no name.
pub const UNNAMED_LINK: &str = "ack link";

/// The fields a link POST may carry.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LinkForm {
    /// The person's name, checked and trimmed; `None` when not given or blank.
    pub name: Option<String>,
    /// `noise`: mark (`true`) or unmark; `None` when not given.
    pub noise: Option<bool>,
}

impl LinkForm {
    pub fn parse(req: &HttpRequest, body: &[u8]) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        if content_type.starts_with("application/x-www-form-urlencoded") {
            Self::from_form(body)
        } else if content_type.starts_with("application/json") {
            Self::from_json(body)
        } else {
            Ok(Self::default())
        }
    }

    fn from_form(body: &[u8]) -> Result<Self, ApiError> {
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|e| {
            ApiError::bad_request("invalid_body", format!("the form could not be read: {e}"))
        })?;
        let field = |name: &str| fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
        Ok(Self {
            name: field("name").map(|n| person_name(n)).transpose()?.flatten(),
            noise: field("noise").map(|v| noise_flag(v)).transpose()?,
        })
    }

    fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request("invalid_body", format!("the body is not valid JSON: {e}"))
        })?;
        let Value::Object(fields) = value else {
            return Err(ApiError::bad_request(
                "invalid_body",
                "the body must be a JSON object such as {\"name\": \"Alice\"}",
            ));
        };
        let name = match fields.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => person_name(name)?,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "invalid_name",
                    "`name` must be a string",
                ))
            }
        };
        let noise = match fields.get("noise") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(flag)) => Some(*flag),
            Some(Value::Number(n)) => Some(noise_flag(&n.to_string())?),
            Some(Value::String(text)) => Some(noise_flag(text)?),
            Some(_) => return Err(noise_error()),
        };
        Ok(Self { name, noise })
    }
}

/// The name as kept: trimmed; `None` when blank.
fn person_name(raw: &str) -> Result<Option<String>, ApiError> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().any(unsafe_in_name) {
        return Err(ApiError::bad_request(
            "invalid_name",
            "the name may not contain control characters (line breaks, tabs) or text-direction marks; type it on one line",
        ));
    }
    let length = name.chars().count();
    if length > NAME_MAX_CHARS {
        return Err(ApiError::bad_request(
            "invalid_name",
            format!("the name is {length} characters long; at most {NAME_MAX_CHARS} are kept, so shorten it"),
        ));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(ApiError::bad_request(
            "invalid_name",
            format!("{name:?} is how the report names a group of people, not a person; type your own name"),
        ));
    }
    if looks_like_slack_user(name) {
        return Err(ApiError::bad_request(
            "invalid_name",
            "a name may not start with `slack:`, which is how Versus records a Slack user; use the Slack button to act as one",
        ));
    }
    Ok(Some(name.to_string()))
}

/// Control characters, and the invisible marks that reorder, hide or pad text around them.
fn unsafe_in_name(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}')
}

/// `slack:` at the start, also spelt in fullwidth letters (`ｓlack:`), which read the same in a report.
fn looks_like_slack_user(name: &str) -> bool {
    let folded: String = name
        .chars()
        .take(6)
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    folded.eq_ignore_ascii_case("slack:")
}

fn noise_flag(text: &str) -> Result<bool, ApiError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(noise_error()),
    }
}

fn noise_error() -> ApiError {
    ApiError::bad_request(
        "invalid_noise",
        "`noise` must be 1 or true (mark as noise) or 0 or false (take the mark off)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn parse(content_type: &str, body: &str) -> Result<LinkForm, String> {
        let req = TestRequest::post()
            .insert_header(("content-type", content_type))
            .to_http_request();
        LinkForm::parse(&req, body.as_bytes()).map_err(|e| e.to_string())
    }

    const FORM: &str = "application/x-www-form-urlencoded";

    #[test]
    fn no_body_is_an_unnamed_mark() {
        assert_eq!(parse(FORM, "").unwrap(), LinkForm::default());
        assert_eq!(parse("application/json", " ").unwrap(), LinkForm::default());
        assert_eq!(parse("text/plain", "name=x").unwrap(), LinkForm::default());
    }

    #[test]
    fn form_and_json_give_the_same_fields() {
        let want = LinkForm {
            name: Some("Alice <b>&".into()),
            noise: Some(false),
        };
        assert_eq!(
            parse(FORM, "name=+Alice+%3Cb%3E%26+&noise=0").unwrap(),
            want
        );
        assert_eq!(
            parse(
                "application/json",
                r#"{"name": " Alice <b>& ", "noise": "false"}"#
            )
            .unwrap(),
            want
        );
        assert_eq!(
            parse("application/json", r#"{"noise": 1}"#).unwrap().noise,
            Some(true)
        );
        assert_eq!(parse(FORM, "name=++&noise=true").unwrap().name, None);
    }

    #[test]
    fn hostile_or_overlong_names_are_refused_with_what_to_fix() {
        for (body, says) in [
            ("name=a%0Ab", "control characters"),
            ("name=%E2%80%AEevil", "text-direction"),
            ("name=slack%3AU0ONCALL", "slack:"),
            ("name=%EF%BD%93lack%3AU0ONCALL", "slack:"),
            ("name=%EF%BC%B3lack%EF%BC%9AUX", "slack:"),
            ("name=%C2%ADslack%3AU0ONCALL", "control characters"),
            ("name=%28other%29", "group of people"),
        ] {
            let error = parse(FORM, body).unwrap_err();
            assert!(error.contains(says), "{body}: {error}");
        }
        let long = "é".repeat(NAME_MAX_CHARS + 1);
        assert!(
            parse("application/json", &format!(r#"{{"name":"{long}"}}"#))
                .unwrap_err()
                .contains("at most 64")
        );
        let fits = "é".repeat(NAME_MAX_CHARS);
        assert_eq!(
            parse("application/json", &format!(r#"{{"name":"{fits}"}}"#))
                .unwrap()
                .name,
            Some(fits)
        );
    }

    #[test]
    fn malformed_bodies_and_flags_are_refused() {
        assert!(parse("application/json", "[1]").is_err());
        assert!(parse("application/json", "{").is_err());
        assert!(parse("application/json", r#"{"name": 5}"#).is_err());
        assert!(parse(FORM, "noise=maybe").is_err());
        assert!(parse("application/json", r#"{"noise": [true]}"#).is_err());
    }
}
