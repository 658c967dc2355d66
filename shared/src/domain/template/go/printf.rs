//! Go's `fmt.Sprintf` for template values: the verbs templates use (`%s %v %d %f %e %g %q %t %x %X %c %%`) with
//! flags (`-+ 0#`), width and precision. A verb that does not fit its value is written as Go writes it,
//! `%!d(string=abc)`; missing operands as `%!s(MISSING)`.

use super::value::{go_float, Val};

pub fn sprintf(format: &str, args: &[Val]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = digits(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(digits(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next += 1;
        let body = format_one(verb, &spec, arg);
        if body.starts_with("%!") {
            out.push_str(&body);
        } else {
            out.push_str(&pad(&body, &spec, verb));
        }
    }
    if next < args.len() {
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| format!("{}={}", type_name(a), a.text()))
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        // Widths are capped so that a template cannot ask for a gigabyte of padding.
        n = Some((n.unwrap_or(0) * 10 + d as usize).min(1_000));
        chars.next();
    }
    n
}

fn type_name(v: &Val) -> &'static str {
    match v {
        Val::Missing | Val::Null => "<nil>",
        Val::Bool(_) => "bool",
        Val::Int(_) => "int",
        Val::Float(_) => "float64",
        Val::Str { .. } => "string",
        Val::List(_) => "[]interface {}",
        Val::Map(_) => "map[string]interface {}",
        Val::Time(_) => "time.Time",
    }
}

/// Go writes a verb that does not fit its operand as `%!verb(type=value)`, padding the value to the width.
fn bad(verb: char, v: &Val, spec: &Spec) -> String {
    match v {
        Val::Missing | Val::Null => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", type_name(v), pad(&v.text(), spec, 'v')),
    }
}

fn format_one(verb: char, spec: &Spec, v: &Val) -> String {
    match (verb, v) {
        ('v', Val::Missing | Val::Null) => "<nil>".into(),
        ('v' | 's', Val::Str { text, .. }) => truncate(text, spec.precision),
        ('s', Val::Missing | Val::Null) => "%!s(<nil>)".into(),
        ('v' | 's', Val::Float(f)) if verb == 'v' || spec.precision.is_none() => go_float(*f),
        ('v' | 's', _)
            if verb == 'v' || !matches!(v, Val::Int(_) | Val::Bool(_) | Val::Float(_)) =>
        {
            v.text()
        }
        ('q', Val::Str { text, .. }) => quote(text),
        ('t', Val::Bool(b)) => b.to_string(),
        ('d', Val::Int(i)) => signed(i.to_string(), *i >= 0, spec),
        ('x' | 'X', Val::Int(i)) => {
            let s = format!("{:x}", i.unsigned_abs());
            let s = if spec.sharp { format!("0x{s}") } else { s };
            let s = if verb == 'X' { s.to_uppercase() } else { s };
            signed(s, *i >= 0, spec)
        }
        ('x' | 'X', Val::Str { text, .. }) => {
            let s: String = text.bytes().map(|b| format!("{b:02x}")).collect();
            if verb == 'X' {
                s.to_uppercase()
            } else {
                s
            }
        }
        ('c', Val::Int(i)) => u32::try_from(*i)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}')
            .to_string(),
        ('f' | 'F' | 'e' | 'g', _) if v.as_f64().is_some() && !matches!(v, Val::Int(_)) => {
            let f = v.as_f64().unwrap_or_default();
            let body = match verb {
                'e' => exp(f, spec.precision.unwrap_or(6)),
                'g' => match spec.precision {
                    Some(p) => format!("{:.*}", p.saturating_sub(1), f)
                        .trim_end_matches('0')
                        .trim_end_matches('.')
                        .to_string(),
                    None => go_float(f),
                },
                _ => format!("{:.*}", spec.precision.unwrap_or(6), f.abs()),
            };
            if matches!(verb, 'f' | 'F') {
                signed(body, f >= 0.0 || f.is_nan(), spec)
            } else {
                body
            }
        }
        _ => bad(verb, v, spec),
    }
}

fn truncate(text: &str, precision: Option<usize>) -> String {
    match precision {
        Some(p) => text.chars().take(p).collect(),
        None => text.to_string(),
    }
}

fn signed(digits: String, positive: bool, spec: &Spec) -> String {
    let digits = digits.trim_start_matches('-').to_string();
    let sign = if !positive {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    if spec.zero && !spec.minus {
        if let Some(width) = spec.width {
            let fill = width.saturating_sub(sign.len() + digits.chars().count());
            return format!("{sign}{}{digits}", "0".repeat(fill));
        }
    }
    format!("{sign}{digits}")
}

fn exp(f: f64, precision: usize) -> String {
    let s = format!("{f:.precision$e}");
    let (mantissa, e) = s.split_once('e').unwrap_or((&s, "0"));
    let (sign, digits) = match e.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', e),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

/// Go's `strconv.Quote` for the printable text templates carry.
fn quote(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn pad(body: &str, spec: &Spec, verb: char) -> String {
    let Some(width) = spec.width else {
        return body.to_string();
    };
    let len = body.chars().count();
    if len >= width {
        return body.to_string();
    }
    let fill = width - len;
    if spec.minus {
        format!("{body}{}", " ".repeat(fill))
    } else if spec.zero && matches!(verb, 's' | 'v' | 'q') {
        format!("{}{body}", "0".repeat(fill))
    } else {
        format!("{}{body}", " ".repeat(fill))
    }
}
