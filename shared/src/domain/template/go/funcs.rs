//! The functions a Go template can call: `text/template`'s builtins (except `call`) and the helpers Versus
//! Incident templates use ([`helpers`]). Every function accepts a missing value; a string computed from payload
//! text stays payload text, so it is still marked when printed.

use super::helpers;
use super::printf::sprintf;
use super::value::{compare, equal, Val};
use std::cmp::Ordering;
use std::sync::Arc as Rc;

/// What functions may read from outside the payload: the environment variables the configuration allows.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub allowed_env: Vec<String>,
}

/// `text/template`'s builtins that Versus provides.
pub const BUILTINS: &[&str] = &[
    "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "printf", "print",
    "println", "slice", "html", "js", "urlquery",
];

/// Functions that write their operands as text; a missing operand writes nothing (Go would write `<nil>`).
const PRINTING: &[&str] = &[
    "print", "println", "printf", "format", "html", "js", "urlquery",
];

fn blank(args: Vec<Val>) -> Vec<Val> {
    args.into_iter()
        .map(|a| if a.is_missing() { Val::str("") } else { a })
        .collect()
}

pub fn known(name: &str) -> bool {
    BUILTINS.contains(&name) || helpers::NAMES.contains(&name)
}

pub fn call(env: &Env, name: &str, args: Vec<Val>) -> Result<Val, String> {
    let payload = args.iter().any(Val::has_payload);
    let args = if PRINTING.contains(&name) {
        blank(args)
    } else {
        args
    };
    let result = match name {
        "and" => Ok(args
            .iter()
            .find(|a| !a.truthy())
            .or(args.last())
            .cloned()
            .unwrap_or(Val::Missing)),
        "or" => Ok(args
            .iter()
            .find(|a| a.truthy())
            .or(args.last())
            .cloned()
            .unwrap_or(Val::Missing)),
        "not" => one(&args).map(|a| Val::Bool(!a.truthy())),
        "eq" | "ne" => {
            at_least(&args, 2)?;
            let any = args[1..].iter().any(|b| equal(&args[0], b));
            // A comparison is never payload text.
            return Ok(Val::Bool(if name == "eq" { any } else { !any }));
        }
        "lt" | "le" | "gt" | "ge" => {
            exactly(&args, 2)?;
            let ord = compare(&args[0], &args[1]);
            let yes = match name {
                "lt" => ord == Some(Ordering::Less),
                "le" => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
                "gt" => ord == Some(Ordering::Greater),
                _ => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
            };
            return Ok(Val::Bool(yes));
        }
        "len" => return one(&args).map(length),
        "index" => index(&args),
        "slice" => slice(&args),
        "printf" => {
            at_least(&args, 1)?;
            Ok(Val::str(sprintf(&args[0].text(), &args[1..])))
        }
        "print" => Ok(Val::str(sprint(&args))),
        "println" => Ok(Val::str(sprintln(&args))),
        "html" => Ok(Val::str(helpers::html_escape(&sprint(&args)))),
        "js" => Ok(Val::str(js_escape(&sprint(&args)))),
        "urlquery" => Ok(Val::str(url_query(&sprint(&args)))),
        _ => helpers::call(env, name, &args),
    }?;
    Ok(match (payload, PRINTING.contains(&name), result) {
        // A printed mix of template text and payload values is one payload value to `marked::seal`, so
        // link syntax written around a value here would not be guarded: any `<` or `>` in it is shown as
        // text instead. Payload text is escaped already, so only the template's own (or `%c`'s) remain.
        (true, true, Val::Str { text, .. }) => {
            Val::str(text.replace('<', "&lt;").replace('>', "&gt;")).into_payload()
        }
        (true, _, result) => result.into_payload(),
        (false, _, result) => result,
    })
}

pub fn one(args: &[Val]) -> Result<&Val, String> {
    exactly(args, 1).map(|()| &args[0])
}

pub fn exactly(args: &[Val], n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of arguments: want {n}, got {}",
            args.len()
        ))
    }
}

pub fn at_least(args: &[Val], n: usize) -> Result<(), String> {
    if args.len() >= n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of arguments: want at least {n}, got {}",
            args.len()
        ))
    }
}

fn length(value: &Val) -> Val {
    Val::Int(match value {
        Val::Str { text, .. } => text.len(),
        Val::List(l) => l.len(),
        Val::Map(m) => m.len(),
        _ => 0,
    } as i64)
}

fn index(args: &[Val]) -> Result<Val, String> {
    at_least(args, 1)?;
    let mut value = args[0].clone();
    for key in &args[1..] {
        value = match (&value, key) {
            (Val::List(l), k) => position(k, l.len())?.map_or(Val::Missing, |i| l[i].clone()),
            (Val::Map(m), Val::Str { text, .. }) => m.get(&**text).cloned().unwrap_or(Val::Missing),
            (Val::Str { text, .. }, k) => match position(k, text.len())? {
                Some(i) => Val::Int(i64::from(text.as_bytes()[i])),
                None => Val::Missing,
            },
            _ => Val::Missing,
        };
    }
    Ok(value)
}

/// An index into something of length `len`; out of range is missing, a non-number is an error.
fn position(key: &Val, len: usize) -> Result<Option<usize>, String> {
    match key {
        Val::Int(i) => Ok(usize::try_from(*i).ok().filter(|&i| i < len)),
        Val::Missing | Val::Null => Ok(None),
        other => Err(format!("cannot index with {}", other.text())),
    }
}

fn slice(args: &[Val]) -> Result<Val, String> {
    at_least(args, 1)?;
    let bound = |n: usize, len: usize, default: usize| -> Result<usize, String> {
        match args.get(n) {
            None => Ok(default),
            Some(Val::Int(i)) => usize::try_from(*i)
                .ok()
                .filter(|&i| i <= len)
                .ok_or_else(|| format!("slice index {i} out of range")),
            Some(other) => Err(format!("cannot slice with {}", other.text())),
        }
    };
    match &args[0] {
        Val::Str { text, payload } => {
            let lo = bound(1, text.len(), 0)?;
            let hi = bound(2, text.len(), text.len())?;
            let part = text.get(lo..hi.max(lo)).ok_or("slice splits a character")?;
            Ok(Val::Str {
                text: Rc::from(part),
                payload: *payload,
            })
        }
        Val::List(l) => {
            let lo = bound(1, l.len(), 0)?;
            let hi = bound(2, l.len(), l.len())?;
            Ok(Val::List(Rc::new(l[lo..hi.max(lo)].to_vec())))
        }
        Val::Missing | Val::Null => Ok(Val::Missing),
        other => Err(format!("cannot slice {}", other.text())),
    }
}

/// Go's `fmt.Sprint`: a space between operands when neither is a string.
pub fn sprint(args: &[Val]) -> String {
    let mut out = String::new();
    for (n, arg) in args.iter().enumerate() {
        let is_str = |v: &Val| matches!(v, Val::Str { .. });
        if n > 0 && !is_str(arg) && !is_str(&args[n - 1]) {
            out.push(' ');
        }
        out.push_str(&arg.text());
    }
    out
}

fn sprintln(args: &[Val]) -> String {
    let parts: Vec<String> = args.iter().map(Val::text).collect();
    parts.join(" ") + "\n"
}

/// Go's `template.JSEscapeString`.
fn js_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' | '>' | '&' | '=' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
fn url_query(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
