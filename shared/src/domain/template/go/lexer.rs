//! Splits a Go template into text and actions, and an action into tokens, as `text/template` does: `{{- ` and
//! ` -}}` trim the whitespace beside them, `{{/* … */}}` is a comment.

use super::SyntaxError;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// `.a.b` (empty for `.` itself).
    Field(Vec<String>),
    /// `$x.a.b`; `$` alone is the name "".
    Var(String, Vec<String>),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    Pipe,
    Open,
    /// `)`, with the fields that follow it: `(…).a.b`.
    Close(Vec<String>),
    Declare,
    Assign,
    Comma,
}

/// A token and the byte offset where it starts.
pub type Spanned = (Tok, usize);

#[derive(Debug)]
pub enum Item {
    Text(String),
    /// The tokens of one `{{ … }}`, and the offset of its `{{`.
    Action(Vec<Spanned>, usize),
}

/// The template's text and actions, with trim markers applied and comments removed.
pub fn split(source: &str) -> Result<Vec<Item>, SyntaxError> {
    let mut items = Vec::new();
    let mut rest = 0;
    let mut trim_next = false;
    while let Some(found) = source[rest..].find("{{") {
        let open = rest + found;
        let mut text = &source[rest..open];
        if trim_next {
            text = text.trim_start();
        }
        let mut body = open + 2;
        let trim_before = source[body..].starts_with("- ")
            || source[body..].starts_with("-\n")
            || source[body..].starts_with("-\t")
            || source[body..].starts_with("-\r");
        if trim_before {
            text = text.trim_end();
            body += 1;
        }
        if !text.is_empty() {
            items.push(Item::Text(text.to_string()));
        }
        let after_space = source[body..].trim_start();
        if after_space.starts_with("/*") {
            let start = source.len() - after_space.len();
            let end = source[start..]
                .find("*/")
                .map(|p| start + p + 2)
                .ok_or_else(|| SyntaxError::new(open, "unclosed comment"))?;
            let tail = &source[end..];
            let (close, trim) = if let Some(t) = tail.trim_start().strip_prefix("-}}") {
                (
                    source.len() - t.len(),
                    tail.starts_with(char::is_whitespace),
                )
            } else if tail.starts_with("}}") {
                (end + 2, false)
            } else {
                return Err(SyntaxError::new(
                    end,
                    "comment ends before closing delimiter",
                ));
            };
            trim_next = trim;
            rest = close;
            continue;
        }
        let (tokens, close, trim) = tokens(source, body, open)?;
        items.push(Item::Action(tokens, open));
        trim_next = trim;
        rest = close;
    }
    let mut text = &source[rest..];
    if trim_next {
        text = text.trim_start();
    }
    if !text.is_empty() {
        items.push(Item::Text(text.to_string()));
    }
    Ok(items)
}

/// Tokens of the action whose body starts at `at`; returns them, the offset after `}}` and whether ` -}}` trims.
fn tokens(
    source: &str,
    mut at: usize,
    open: usize,
) -> Result<(Vec<Spanned>, usize, bool), SyntaxError> {
    let b = source.as_bytes();
    let mut out = Vec::new();
    loop {
        while at < b.len() && b[at].is_ascii_whitespace() {
            at += 1;
        }
        if at >= b.len() {
            return Err(SyntaxError::new(open, "unclosed action"));
        }
        let ws_before = at > 0 && b[at - 1].is_ascii_whitespace();
        if source[at..].starts_with("-}}") && ws_before {
            return Ok((out, at + 3, true));
        }
        if source[at..].starts_with("}}") {
            return Ok((out, at + 2, false));
        }
        let start = at;
        let c = b[at];
        let tok = match c {
            b'|' => {
                at += 1;
                Tok::Pipe
            }
            b'(' => {
                at += 1;
                Tok::Open
            }
            b')' => {
                at += 1;
                Tok::Close(fields(source, &mut at))
            }
            b',' => {
                at += 1;
                Tok::Comma
            }
            b'=' => {
                at += 1;
                Tok::Assign
            }
            b':' if b.get(at + 1) == Some(&b'=') => {
                at += 2;
                Tok::Declare
            }
            b'.' if !b.get(at + 1).is_some_and(u8::is_ascii_digit) => {
                Tok::Field(fields(source, &mut at))
            }
            b'$' => {
                at += 1;
                let name = ident(source, &mut at);
                Tok::Var(name.to_string(), fields(source, &mut at))
            }
            b'"' => Tok::Str(quoted(source, &mut at)?),
            b'`' => {
                let end = source[at + 1..]
                    .find('`')
                    .ok_or_else(|| SyntaxError::new(at, "unterminated raw string"))?;
                let text = source[at + 1..at + 1 + end].to_string();
                at += end + 2;
                Tok::Str(text)
            }
            b'\'' => {
                let ch = source[at + 1..].chars().next().unwrap_or('\'');
                let end = at + 1 + ch.len_utf8();
                if b.get(end) != Some(&b'\'') {
                    return Err(SyntaxError::new(at, "malformed character constant"));
                }
                at = end + 1;
                Tok::Int(i64::from(u32::from(ch)))
            }
            b'-' | b'+' | b'.' | b'0'..=b'9' => number(source, &mut at)?,
            c if c.is_ascii_alphabetic() || c == b'_' => match ident(source, &mut at) {
                "true" => Tok::Bool(true),
                "false" => Tok::Bool(false),
                "nil" => Tok::Nil,
                name => Tok::Ident(name.to_string()),
            },
            _ => {
                let ch = source[at..].chars().next().unwrap_or('?');
                return Err(SyntaxError::new(at, format!("unexpected {ch:?} in action")));
            }
        };
        out.push((tok, start));
    }
}

fn ident<'a>(source: &'a str, at: &mut usize) -> &'a str {
    let start = *at;
    let rest = &source[start..];
    let len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    *at += len;
    &source[start..start + len]
}

/// `.a.b.c` from `at` (which may point at a `.` or not); advances past them.
fn fields(source: &str, at: &mut usize) -> Vec<String> {
    let mut out = Vec::new();
    while source[*at..].starts_with('.') {
        *at += 1;
        let name = ident(source, at);
        if name.is_empty() {
            break;
        }
        out.push(name.to_string());
    }
    out
}

fn quoted(source: &str, at: &mut usize) -> Result<String, SyntaxError> {
    let start = *at;
    let mut out = String::new();
    let mut chars = source[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                *at = start + 1 + i + 1;
                return Ok(out);
            }
            '\n' => break,
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('\'') => out.push('\''),
                Some('u') => {
                    let hex: String = (0..4)
                        .filter_map(|_| chars.next().map(|(_, c)| c))
                        .collect();
                    let ch = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                    out.push(ch.ok_or_else(|| SyntaxError::new(start, "bad \\u escape"))?);
                }
                _ => return Err(SyntaxError::new(start, "unknown escape sequence in string")),
            },
            c => out.push(c),
        }
    }
    Err(SyntaxError::new(start, "unterminated quoted string"))
}

fn number(source: &str, at: &mut usize) -> Result<Tok, SyntaxError> {
    let start = *at;
    let rest = &source[start..];
    let len = rest
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_alphanumeric()
                || c == '.'
                || c == '_'
                || ((c == '-' || c == '+') && (i == 0 || rest[..i].ends_with(['e', 'E']))))
        })
        .map_or(rest.len(), |(i, _)| i);
    let text = rest[..len].replace('_', "");
    *at += len;
    let bad = || SyntaxError::new(start, format!("bad number syntax: {:?}", &rest[..len]));
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let radix = [("0x", 16), ("0X", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find_map(|(p, r)| digits.strip_prefix(p).map(|d| (d, *r)));
    if let Some((d, r)) = radix {
        let v = i64::from_str_radix(d, r).map_err(|_| bad())?;
        return Ok(Tok::Int(if neg { -v } else { v }));
    }
    if let Ok(v) = text.parse::<i64>() {
        return Ok(Tok::Int(v));
    }
    text.parse::<f64>().map(Tok::Float).map_err(|_| bad())
}
