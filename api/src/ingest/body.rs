//! The webhook body: one JSON object, or an array of objects (one incident each).

use crate::error::ApiError;
use serde_json::Value;

/// One incident's payload: its JSON text (stored as received for a single object) and its parsed form.
pub struct IncidentPayload {
    pub text: String,
    pub value: Value,
}

/// Takes the body by value (a `BytesMut` converts without a copy), so that a single object's text is
/// kept as received without copying or re-scanning it.
pub fn parse(body: impl Into<Vec<u8>>) -> Result<Vec<IncidentPayload>, ApiError> {
    let body: Vec<u8> = body.into();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "empty_body",
            "request body is empty; send a JSON object, or an array of objects (one incident each)",
        ));
    }
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "invalid_json",
            format!(
                "request body is not valid JSON: {} at line {} column {}",
                describe(&e),
                e.line(),
                e.column()
            ),
        )
    })?;
    match value {
        Value::Object(_) => Ok(vec![IncidentPayload {
            // Valid JSON is valid UTF-8: keep the sender's text rather than re-serialising it.
            text: String::from_utf8(body)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            value,
        }]),
        Value::Array(items) if items.is_empty() => Err(ApiError::bad_request(
            "not_object",
            "request body is an empty array; send at least one JSON object",
        )),
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::Object(_) => Ok(IncidentPayload {
                    text: item.to_string(),
                    value: item,
                }),
                other => Err(ApiError::bad_request(
                    "not_object",
                    format!(
                        "element {index} of the array is {}; each incident must be a JSON object",
                        kind(&other)
                    ),
                )),
            })
            .collect(),
        other => Err(ApiError::bad_request(
            "not_object",
            format!(
                "request body is {}; send a JSON object, or an array of objects",
                kind(&other)
            ),
        )),
    }
}

fn describe(error: &serde_json::Error) -> String {
    let text = error.to_string();
    // serde_json appends " at line L column C"; we print the position ourselves.
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(body: &str) -> String {
        match parse(body.as_bytes()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{body:?} was accepted"),
        }
    }

    #[test]
    fn accepts_objects_and_arrays_of_objects() {
        assert_eq!(parse(br#"{"a":1}"#).unwrap().len(), 1);
        let many = parse(br#"[{"a":1},{"b":2}]"#).unwrap();
        assert_eq!(many.len(), 2);
        assert_eq!(many[1].text, r#"{"b":2}"#);
    }

    #[test]
    fn rejects_with_a_message_that_says_what_and_where() {
        assert!(error("").contains("empty"));
        assert!(error("  \n").contains("empty"));
        assert!(error("{\"a\": 1,\n \"b\": }").contains("line 2 column"));
        assert!(error("42").contains("is a number"));
        assert!(error("\"x\"").contains("is a string"));
        assert!(error("[]").contains("empty array"));
        assert!(error("[{}, 3]").contains("element 1 of the array is a number"));
    }
}
