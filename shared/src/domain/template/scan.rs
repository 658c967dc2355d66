//! A small scanner over Jinja source that finds the names used as filters (`| name`, `{% filter name %}`) and
//! tests (`is name`, `is not name`). It skips text, comments, `{% raw %}` blocks and string literals. It only runs
//! on templates minijinja has already compiled, so it can assume the syntax is valid.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Filter,
    Test,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub kind: NameKind,
    pub name: String,
    /// Byte offset of the name in the source.
    pub offset: usize,
}

pub fn filter_and_test_names(source: &str) -> Vec<Usage> {
    let mut out = Vec::new();
    for_each_tag(source, |statement, _, tokens| {
        collect(tokens, statement, &mut out)
    });
    out
}

/// The first `{{ … }}` that is a Go-template action (`{{ .x }}`, `{{ range .alerts }}`, `{{ end }}`, `{{ $v := … }}`,
/// `{{/* … */}}`): its byte offset and trimmed text. Some of these even compile as Jinja (`{{ end }}` is a variable
/// named `end`) and would silently render nothing, so they are refused with a pointer to the minijinja form.
pub fn go_action(source: &str) -> Option<(usize, String)> {
    let mut found = None;
    for_each_tag(source, |statement, body, _| {
        if statement || found.is_some() {
            return;
        }
        let trimmed = source[body.clone()]
            .trim_start_matches(['-', '+'])
            .trim_start();
        let offset = body.end
            - source[body.clone()]
                .trim_start_matches(['-', '+'])
                .trim_start()
                .len();
        let text = trimmed.trim_end_matches(['-', '+']).trim_end();
        let dotted = |rest: &str| rest.trim_start().starts_with(['.', '$']) || rest.contains(" .");
        let is_go = text == "end"
            || text == "else"
            || text.starts_with(['.', '$'])
            || text.starts_with("/*")
            || [
                "range ",
                "if ",
                "with ",
                "else if ",
                "template ",
                "define ",
                "block ",
            ]
            .iter()
            .any(|word| text.strip_prefix(word).is_some_and(dotted));
        if is_go {
            found = Some((offset, text.to_string()));
        }
    });
    found
}

/// Calls `f(is_statement, body_range, tokens)` for every `{{ … }}` and `{% … %}` outside comments and raw blocks.
fn for_each_tag<'a>(source: &'a str, mut f: impl FnMut(bool, std::ops::Range<usize>, &[Tok<'a>])) {
    let b = source.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        match b[i + 1] {
            b'#' => {
                i = source[i + 2..]
                    .find("#}")
                    .map_or(b.len(), |p| i + 2 + p + 2);
            }
            b'{' | b'%' => {
                let statement = b[i + 1] == b'%';
                let close = if statement { "%}" } else { "}}" };
                let (end, tokens) = tokens(source, i + 2, close);
                if statement && is_raw(&tokens) {
                    // Skip to the end of the raw block.
                    i = find_endraw(source, end).unwrap_or(b.len());
                    continue;
                }
                let body_end = if source[..end].ends_with(close) {
                    end - 2
                } else {
                    end
                };
                f(statement, i + 2..body_end.max(i + 2), &tokens);
                i = end;
            }
            _ => i += 1,
        }
    }
}

#[derive(Debug)]
enum Tok<'a> {
    Ident(&'a str, usize),
    Pipe,
    Other,
}

/// Tokenises an expression or statement body from `start` up to its closing delimiter; returns the offset just
/// past the delimiter.
fn tokens<'a>(source: &'a str, start: usize, close: &str) -> (usize, Vec<Tok<'a>>) {
    let b = source.as_bytes();
    let mut toks = Vec::new();
    let mut i = start;
    let mut depth = 0usize;
    while i < b.len() {
        let c = b[i];
        if depth == 0 && source[i..].starts_with(close) {
            return (i + 2, toks);
        }
        // Whitespace control (`-%}`, `+}}`) before the delimiter.
        if (c == b'-' || c == b'+') && depth == 0 && source[i + 1..].starts_with(close) {
            i += 1;
            continue;
        }
        match c {
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && b[i] != c {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                toks.push(Tok::Other);
            }
            b'|' => {
                toks.push(Tok::Pipe);
                i += 1;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                toks.push(Tok::Other);
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                toks.push(Tok::Other);
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                toks.push(Tok::Ident(&source[s..i], s));
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                toks.push(Tok::Other);
                // Step over a whole character so that offsets stay on char boundaries.
                i += source[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
    }
    (b.len(), toks)
}

fn is_raw(tokens: &[Tok<'_>]) -> bool {
    matches!(tokens, [Tok::Ident("raw", _)])
}

fn find_endraw(source: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(p) = source[at..].find("{%") {
        let open = at + p;
        let (end, toks) = tokens(source, open + 2, "%}");
        if matches!(toks.as_slice(), [Tok::Ident("endraw", _)]) {
            return Some(end);
        }
        at = open + 2;
    }
    None
}

fn collect(tokens: &[Tok<'_>], statement: bool, out: &mut Vec<Usage>) {
    let mut push = |kind, name: &str, offset| {
        out.push(Usage {
            kind,
            name: name.to_string(),
            offset,
        })
    };
    if statement {
        if let [Tok::Ident("filter", _), Tok::Ident(name, at), ..] = tokens {
            push(NameKind::Filter, name, *at);
        }
    }
    for (n, tok) in tokens.iter().enumerate() {
        match (tok, tokens.get(n + 1), tokens.get(n + 2)) {
            (Tok::Pipe, Some(Tok::Ident(name, at)), _) => push(NameKind::Filter, name, *at),
            (Tok::Ident("is", _), Some(Tok::Ident("not", _)), Some(Tok::Ident(name, at))) => {
                push(NameKind::Test, name, *at)
            }
            (Tok::Ident("is", _), Some(Tok::Ident(name, at)), _) if *name != "not" => {
                push(NameKind::Test, name, *at)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(source: &str) -> Vec<(NameKind, String)> {
        filter_and_test_names(source)
            .into_iter()
            .map(|u| (u.kind, u.name))
            .collect()
    }

    #[test]
    fn finds_filters_and_tests_in_expressions_and_statements() {
        let found = names(
            "{{ a | upper }} {{- b|default('|x') | join(\", \") -}}\n{% if c is defined and d is not none %}\
             {% filter lower %}x{% endfilter %}{% for x in y | sort %}{% endfor %}{% endif %}",
        );
        use NameKind::*;
        assert_eq!(
            found,
            vec![
                (Filter, "upper".into()),
                (Filter, "default".into()),
                (Filter, "join".into()),
                (Test, "defined".into()),
                (Test, "none".into()),
                (Filter, "lower".into()),
                (Filter, "sort".into()),
            ]
        );
    }

    #[test]
    fn skips_text_comments_raw_blocks_and_strings() {
        assert!(names(
            "a | b {# {{ x | nope }} #} {% raw %}{{ y | nope }}{% endraw %} {{ 'x | nope' }}"
        )
        .is_empty());
        assert_eq!(
            names("{{ {'a': {'b': 1}} | tojson }}"),
            vec![(NameKind::Filter, "tojson".into())]
        );
    }
}
