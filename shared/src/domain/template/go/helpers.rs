//! The helper functions Versus Incident templates call, with the subject last so that the pipeline form reads as
//! it does in sprig and Helm: `{{ .x | default "n/a" }}`, `{{ .text | replace "a" "b" }}`. A missing subject
//! gives empty output.

use super::funcs::{at_least, exactly, one, Env};
use super::printf::sprintf;
use super::value::Val;
use crate::domain::template::filters::to_datetime;
use crate::domain::template::go_layout;
use chrono::{DateTime, FixedOffset, Utc};
use std::collections::BTreeMap;
use std::sync::Arc as Rc;

pub const NAMES: &[&str] = &[
    "replaceAll",
    "replace",
    "contains",
    "upper",
    "lower",
    "title",
    "toString",
    "default",
    "trimPrefix",
    "trimSuffix",
    "split",
    "join",
    "stringSlice",
    "truncate",
    "formatTime",
    "date",
    "format",
    "now",
    "dict",
    "list",
    "append",
    "add",
    "regexMatch",
    "escapeHTML",
    "env",
];

/// The longest pattern `regexMatch` compiles, so that a template cannot build a huge automaton.
const MAX_REGEX_LEN: usize = 1_000;

pub fn call(env: &Env, name: &str, args: &[Val]) -> Result<Val, String> {
    match name {
        "replaceAll" | "replace" => {
            exactly(args, 3)?;
            map_str(&args[2], |s| s.replace(&*args[0].text(), &args[1].text()))
        }
        "contains" => {
            exactly(args, 2)?;
            Ok(Val::Bool(
                !args[1].is_missing() && args[1].text().contains(&*args[0].text()),
            ))
        }
        "upper" => map_str(one(args)?, |s| entities_intact(s.to_uppercase())),
        "lower" => map_str(one(args)?, |s| entities_intact(s.to_lowercase())),
        "title" => map_str(one(args)?, |s| entities_intact(title(s))),
        "toString" => map_str(one(args)?, str::to_string),
        "default" => {
            exactly(args, 2)?;
            Ok(if args[1].truthy() {
                args[1].clone()
            } else {
                args[0].clone()
            })
        }
        "trimPrefix" => {
            exactly(args, 2)?;
            let p = args[0].text();
            map_str(&args[1], |s| s.strip_prefix(&*p).unwrap_or(s).to_string())
        }
        "trimSuffix" => {
            exactly(args, 2)?;
            let p = args[0].text();
            map_str(&args[1], |s| s.strip_suffix(&*p).unwrap_or(s).to_string())
        }
        "split" => {
            exactly(args, 2)?;
            if args[1].is_missing() {
                return Ok(Val::List(Rc::new(Vec::new())));
            }
            let (sep, text) = (args[0].text(), args[1].text());
            let parts: Vec<Val> = if sep.is_empty() {
                text.chars().map(|c| Val::str(c.to_string())).collect()
            } else {
                text.split(&*sep).map(Val::str).collect()
            };
            Ok(Val::List(Rc::new(parts)))
        }
        "join" => {
            exactly(args, 2)?;
            let sep = args[0].text();
            Ok(Val::str(match &args[1] {
                Val::List(items) => items.iter().map(Val::text).collect::<Vec<_>>().join(&sep),
                other => other.text(),
            }))
        }
        "stringSlice" | "list" => {
            let to = |v: &Val| {
                if name == "list" {
                    v.clone()
                } else {
                    Val::str(v.text())
                }
            };
            Ok(Val::List(Rc::new(args.iter().map(to).collect())))
        }
        "truncate" => {
            exactly(args, 2)?;
            let Val::Int(n) = args[0] else {
                return Err("truncate wants a length first: truncate 100 .text".into());
            };
            let n = usize::try_from(n).unwrap_or(0);
            map_str(&args[1], |s| s.chars().take(n).collect())
        }
        "formatTime" | "date" => {
            exactly(args, 2)?;
            Ok(format_time(&args[0].text(), &args[1]))
        }
        "format" => {
            at_least(args, 1)?;
            Ok(Val::str(sprintf(&args[0].text(), &args[1..])))
        }
        "now" => {
            exactly(args, 0)?;
            Ok(Val::Time(Utc::now().fixed_offset()))
        }
        "dict" => {
            if !args.len().is_multiple_of(2) {
                return Err("dict wants key and value pairs".into());
            }
            let map: BTreeMap<String, Val> = args
                .chunks(2)
                .map(|kv| (kv[0].text(), kv[1].clone()))
                .collect();
            Ok(Val::Map(Rc::new(map)))
        }
        "append" => {
            exactly(args, 2)?;
            let mut items = match &args[0] {
                Val::List(l) => l.to_vec(),
                Val::Missing | Val::Null => Vec::new(),
                other => vec![other.clone()],
            };
            items.push(args[1].clone());
            Ok(Val::List(Rc::new(items)))
        }
        "add" => {
            at_least(args, 1)?;
            add(args)
        }
        "regexMatch" => {
            exactly(args, 2)?;
            let pattern = args[0].text();
            if pattern.len() > MAX_REGEX_LEN {
                return Err(format!(
                    "regexMatch pattern longer than {MAX_REGEX_LEN} bytes"
                ));
            }
            let re = regex_lite::Regex::new(&pattern).map_err(|e| format!("regexMatch: {e}"))?;
            Ok(Val::Bool(
                !args[1].is_missing() && re.is_match(&args[1].text()),
            ))
        }
        "escapeHTML" => map_str(one(args)?, html_escape),
        "env" => {
            let name = one(args)?.text();
            if !env.allowed_env.contains(&name) {
                return Err(format!(
                    "env {name:?} is not allowed; list it in alert.slack.template_env to use it"
                ));
            }
            Ok(Val::str(std::env::var(&name).unwrap_or_default()))
        }
        _ => Err(format!("function {name:?} not defined")),
    }
}

/// Applies `f` to the text of a value; a missing value stays empty.
fn map_str(value: &Val, f: impl FnOnce(&str) -> String) -> Result<Val, String> {
    if value.is_missing() {
        return Ok(Val::str(""));
    }
    Ok(Val::str(f(&value.text())))
}

/// Payload text is escaped before rendering, so changing case must not change the escapes' own letters
/// (`&AMP;` would show as typed in Slack).
fn entities_intact(text: String) -> String {
    if !text.contains('&') {
        return text;
    }
    let mut out = text;
    for (entity, variants) in [
        ("&amp;", ["&AMP;", "&Amp;"]),
        ("&lt;", ["&LT;", "&Lt;"]),
        ("&gt;", ["&GT;", "&Gt;"]),
    ] {
        for variant in variants {
            out = out.replace(variant, entity);
        }
    }
    out
}

/// Go's `strings.Title`: the first letter of every word upper-cased.
fn title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_letter = false;
    for c in text.chars() {
        if !prev_letter {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn add(args: &[Val]) -> Result<Val, String> {
    if args
        .iter()
        .all(|a| matches!(a, Val::Int(_) | Val::Missing | Val::Null))
    {
        let mut sum: i64 = 0;
        for a in args {
            if let Val::Int(i) = a {
                sum = sum.checked_add(*i).ok_or("add overflows")?;
            }
        }
        return Ok(Val::Int(sum));
    }
    let mut sum = 0.0;
    for a in args {
        sum += match a {
            Val::Missing | Val::Null => 0.0,
            other => other
                .as_f64()
                .ok_or_else(|| format!("add: {} is not a number", other.text()))?,
        };
    }
    Ok(Val::Float(sum))
}

/// A time formatted with a Go layout; a value that is not a time is written unchanged, a missing one is empty.
fn format_time(layout: &str, value: &Val) -> Val {
    let time: Option<DateTime<FixedOffset>> = match value {
        Val::Time(t) => Some(*t),
        Val::Str { text, .. } => to_datetime(&minijinja::Value::from(&**text)),
        Val::Int(i) => to_datetime(&minijinja::Value::from(*i)),
        Val::Float(f) => to_datetime(&minijinja::Value::from(*f)),
        _ => None,
    };
    match time {
        Some(t) => Val::str(go_layout::format(&t, layout)),
        None if value.is_missing() => Val::str(""),
        None => value.clone(),
    }
}
