//! The values a Go template works on, built from the alert's JSON, and how they print, compare and test true.
//!
//! Every string that comes from the payload is escaped for mrkdwn when the data is built and carries a
//! `payload` flag, so that printing it marks it as a payload value (see `mrkdwn::marked`) while functions such as
//! `eq` or `len` see the escaped text without markers.

use crate::domain::mrkdwn::{self, marked};
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc as Rc;

#[derive(Debug, Clone)]
pub enum Val {
    /// A key the data does not have: prints empty, is false, and every function accepts it.
    Missing,
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str {
        text: Rc<str>,
        payload: bool,
    },
    List(Rc<Vec<Val>>),
    Map(Rc<BTreeMap<String, Val>>),
    Time(DateTime<FixedOffset>),
}

impl Val {
    /// A string written by the template or computed from template text.
    pub fn str(text: impl Into<Rc<str>>) -> Val {
        Val::Str {
            text: text.into(),
            payload: false,
        }
    }

    /// The alert's JSON as template data: strings and keys escaped for mrkdwn and flagged as payload.
    pub fn from_payload(json: &serde_json::Value) -> Val {
        use serde_json::Value as J;
        match json {
            J::Null => Val::Null,
            J::Bool(b) => Val::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => Val::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => Val::Str {
                text: escape(s).into(),
                payload: true,
            },
            J::Array(items) => Val::List(Rc::new(items.iter().map(Val::from_payload).collect())),
            J::Object(map) => Val::Map(Rc::new(
                map.iter()
                    .map(|(k, v)| (escape(k), Val::from_payload(v)))
                    .collect(),
            )),
        }
    }

    /// Go's truth: false, zero, nil and empty strings, lists and maps are false.
    pub fn truthy(&self) -> bool {
        match self {
            Val::Missing | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Int(i) => *i != 0,
            Val::Float(f) => *f != 0.0,
            Val::Str { text, .. } => !text.is_empty(),
            Val::List(l) => !l.is_empty(),
            Val::Map(m) => !m.is_empty(),
            Val::Time(_) => true,
        }
    }

    pub fn is_missing(&self) -> bool {
        matches!(self, Val::Missing | Val::Null)
    }

    /// Whether any string in this value came from the payload.
    pub fn has_payload(&self) -> bool {
        match self {
            Val::Str { payload, .. } => *payload,
            Val::List(l) => l.iter().any(Val::has_payload),
            Val::Map(m) => m.values().any(Val::has_payload),
            _ => false,
        }
    }

    /// This value with every string in it flagged as payload.
    pub fn into_payload(self) -> Val {
        match self {
            Val::Str { text, .. } => Val::Str {
                text,
                payload: true,
            },
            Val::List(l) => Val::List(Rc::new(l.iter().cloned().map(Val::into_payload).collect())),
            Val::Map(m) => Val::Map(Rc::new(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.clone().into_payload()))
                    .collect(),
            )),
            other => other,
        }
    }

    /// The number, for arithmetic and comparison.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The text `{{ . }}` writes for this value (Go's `fmt` `%v`); missing values write nothing.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out, true);
        out
    }

    fn write_text(&self, out: &mut String, top: bool) {
        match self {
            Val::Missing => {}
            Val::Null if top => {}
            Val::Null => out.push_str("<nil>"),
            Val::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Val::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Val::Float(f) => out.push_str(&go_float(*f)),
            Val::Str { text, .. } => out.push_str(text),
            Val::List(items) => {
                out.push('[');
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        out.push(' ');
                    }
                    item.write_text(out, false);
                }
                out.push(']');
            }
            Val::Map(map) => {
                out.push_str("map[");
                for (n, (k, v)) in map.iter().enumerate() {
                    if n > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_text(out, false);
                }
                out.push(']');
            }
            Val::Time(t) => {
                let _ = write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S%.f %z"));
            }
        }
    }

    /// Writes the value as the template's output, marking payload text for `marked::seal`.
    pub fn print(&self, out: &mut String) {
        let text = self.text();
        if self.has_payload() {
            marked::push_escaped(&text, out);
        } else {
            out.push_str(&text);
        }
    }
}

/// Equality as templates mean it: numbers by value, strings by text, missing only equal to missing.
pub fn equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Missing | Val::Null, Val::Missing | Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Str { text: x, .. }, Val::Str { text: y, .. }) => x == y,
        (Val::Int(x), Val::Int(y)) => x == y,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

/// Ordering for `lt` and friends: numbers by value, strings by bytes; anything else is unordered.
pub fn compare(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::Str { text: x, .. }, Val::Str { text: y, .. }) => Some(x.cmp(y)),
        (Val::Int(x), Val::Int(y)) => Some(x.cmp(y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// A float as Go's `%v` writes it: shortest digits, exponent form below 1e-4 and from 1e21.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e21).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    format!("{f}")
}

fn escape(text: &str) -> String {
    mrkdwn::escape(&marked::without_markers(text))
}
