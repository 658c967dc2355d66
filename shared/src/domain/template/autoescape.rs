//! Escaping for Slack by default: every `{{ value }}` a template writes is escaped for mrkdwn and marked as a
//! payload value ([`mrkdwn::marked`]), unless the template opts out for it with `| safe` (or for a block with
//! `{% autoescape false %}`).
//!
//! minijinja calls [`formatter`] for each value it writes. Values that are "safe" are written as they are:
//! those of `| safe`, and text minijinja produces from output that was already escaped (macros, `{% set %}`
//! blocks, `join` of such parts). The filters that turn payload data into safe text (`tojson`,
//! `slack_escape`) mark their output as a value too.

use crate::domain::mrkdwn::marked;
use minijinja::value::Kwargs;
use minijinja::{AutoEscape, Environment, Error, Output, State, Value};

/// Turns escaping for Slack on in `env`.
pub(super) fn enable(env: &mut Environment<'_>) {
    env.set_auto_escape_callback(|_| AutoEscape::Custom("slack-mrkdwn".into()));
    env.set_formatter(formatter);
    env.add_filter("tojson", tojson);
}

fn formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    if value.is_safe() || state.auto_escape() == &AutoEscape::None {
        return write!(out, "{value}").map_err(Error::from);
    }
    if value.is_undefined() {
        return Ok(());
    }
    let mut text = String::new();
    marked::push_value(&value.to_string(), &mut text);
    out.write_str(&text).map_err(Error::from)
}

/// `slack_escape` as auto-escaping does it, for templates written before escaping was the default: the result
/// is safe, so it is not escaped twice.
pub fn slack_escape(value: &Value) -> Value {
    if value.is_undefined() || value.is_none() {
        return Value::from_safe_string(String::new());
    }
    let mut text = String::new();
    marked::push_value(&value.to_string(), &mut text);
    Value::from_safe_string(text)
}

/// minijinja's `tojson` (whose output escapes `<`, `>` and `&` already), marked as a payload value so that link
/// syntax around it is guarded.
fn tojson(value: &Value, indent: Option<Value>, args: Kwargs) -> Result<Value, Error> {
    let json = minijinja::filters::tojson(value, indent, args)?;
    let mut text = String::new();
    marked::push_escaped(&json.to_string(), &mut text);
    Ok(Value::from_safe_string(text))
}

/// The payload with every [`marked`] marker removed from its strings and keys, so that only the formatter
/// writes markers.
pub(super) fn strip_markers(value: &mut serde_json::Value) {
    use serde_json::Value as Json;
    match value {
        Json::String(text) => {
            if let std::borrow::Cow::Owned(clean) = marked::without_markers(text) {
                *text = clean;
            }
        }
        Json::Array(items) => items.iter_mut().for_each(strip_markers),
        Json::Object(map) => {
            if map.keys().any(|key| key != &marked::without_markers(key)) {
                let entries = std::mem::take(map);
                *map = entries
                    .into_iter()
                    .map(|(key, value)| (marked::without_markers(&key).into_owned(), value))
                    .collect();
            }
            map.values_mut().for_each(strip_markers);
        }
        _ => {}
    }
}

/// Rendered text as it goes to Slack (see [`marked::seal`]).
pub(super) fn finish(rendered: &str) -> String {
    marked::seal(rendered)
}
