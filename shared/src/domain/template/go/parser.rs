//! The parse tree of a Go template, built from the lexer's items.

use super::lexer::{split, Item, Spanned, Tok};
use super::value::Val;
use super::SyntaxError;
use std::collections::BTreeMap;

#[derive(Debug)]
pub enum Node {
    Text(String),
    Print(Pipe),
    /// `if` and `with` (`with` sets dot); `else if` / `else with` nest in `otherwise`.
    If {
        with: bool,
        cond: Pipe,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Range {
        pipe: Pipe,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Template {
        name: String,
        pipe: Option<Pipe>,
        at: usize,
    },
    Break,
    Continue,
}

#[derive(Debug)]
pub struct Pipe {
    /// Variables declared (`:=`) or assigned (`=`) by this pipeline.
    pub vars: Vec<String>,
    pub assign: bool,
    pub cmds: Vec<Cmd>,
    pub at: usize,
}

#[derive(Debug)]
pub struct Cmd {
    pub args: Vec<Arg>,
    pub at: usize,
}

#[derive(Debug)]
pub enum Arg {
    Field(Vec<String>),
    Var(String, Vec<String>),
    Func(String, usize),
    Lit(Val),
    Sub(Box<Pipe>, Vec<String>),
}

/// A parsed template: the main body and every `define`d or `block` template.
#[derive(Debug)]
pub struct Tree {
    pub main: Vec<Node>,
    pub defines: BTreeMap<String, Vec<Node>>,
}

/// How a list of nodes ended: at the end of the source, at `{{end}}` or at `{{else …}}` (with its offset).
enum Stop {
    Eof,
    End(usize),
    Else(Vec<Spanned>, usize),
}

struct Parser {
    items: std::vec::IntoIter<Item>,
    defines: BTreeMap<String, Vec<Node>>,
    loops: usize,
}

pub fn parse(source: &str, known: &dyn Fn(&str) -> bool) -> Result<Tree, SyntaxError> {
    let mut p = Parser {
        items: split(source)?.into_iter(),
        defines: BTreeMap::new(),
        loops: 0,
    };
    let (main, end) = p.list()?;
    match end {
        Stop::Eof => {}
        Stop::End(at) => return Err(SyntaxError::new(at, "unexpected {{end}}")),
        Stop::Else(_, at) => return Err(SyntaxError::new(at, "unexpected {{else}}")),
    }
    let tree = Tree {
        main,
        defines: p.defines,
    };
    super::resolve::check_functions(&tree, known)?;
    Ok(tree)
}

impl Parser {
    fn list(&mut self) -> Result<(Vec<Node>, Stop), SyntaxError> {
        let mut nodes = Vec::new();
        while let Some(item) = self.items.next() {
            let (toks, at) = match item {
                Item::Text(text) => {
                    nodes.push(Node::Text(text));
                    continue;
                }
                Item::Action(toks, at) => (toks, at),
            };
            let keyword = match toks.first() {
                Some((Tok::Ident(word), _)) => word.as_str(),
                _ => "",
            };
            let rest = toks.get(1..).unwrap_or_default().to_vec();
            match keyword {
                "end" if rest.is_empty() => return Ok((nodes, Stop::End(at))),
                "else" => return Ok((nodes, Stop::Else(rest, at))),
                "if" | "with" => nodes.push(self.branch(keyword == "with", rest, at)?),
                "range" => nodes.push(self.range(rest, at)?),
                "define" | "block" => {
                    let (name, pipe) = template_args(&rest, at)?;
                    let (body, end) = self.list()?;
                    expect_end(end, at, keyword)?;
                    if keyword == "block" {
                        nodes.push(Node::Template {
                            name: name.clone(),
                            pipe,
                            at,
                        });
                    } else if pipe.is_some() {
                        return Err(SyntaxError::new(at, "define takes only a name"));
                    }
                    self.defines.insert(name, body);
                }
                "template" => {
                    let (name, pipe) = template_args(&rest, at)?;
                    nodes.push(Node::Template { name, pipe, at });
                }
                "break" | "continue" if rest.is_empty() => {
                    if self.loops == 0 {
                        return Err(SyntaxError::new(
                            at,
                            format!("{{{{{keyword}}}}} outside {{{{range}}}}"),
                        ));
                    }
                    nodes.push(if keyword == "break" {
                        Node::Break
                    } else {
                        Node::Continue
                    });
                }
                _ if toks.is_empty() => {
                    return Err(SyntaxError::new(at, "missing value for command"))
                }
                _ => nodes.push(Node::Print(pipeline(&toks, at)?)),
            }
        }
        Ok((nodes, Stop::Eof))
    }

    fn branch(&mut self, with: bool, toks: Vec<Spanned>, at: usize) -> Result<Node, SyntaxError> {
        let cond = pipeline(&toks, at)?;
        let (then, end) = self.list()?;
        let otherwise = match end {
            Stop::Eof => return Err(unclosed(at, if with { "with" } else { "if" })),
            Stop::End(_) => Vec::new(),
            Stop::Else(rest, else_at) => match rest.first() {
                Some((Tok::Ident(word), _)) if word == "if" || word == "with" => {
                    vec![self.branch(word == "with", rest[1..].to_vec(), else_at)?]
                }
                None => {
                    let (body, end) = self.list()?;
                    expect_end(end, at, "else")?;
                    body
                }
                Some(_) => return Err(SyntaxError::new(else_at, "unexpected tokens after else")),
            },
        };
        Ok(Node::If {
            with,
            cond,
            then,
            otherwise,
        })
    }

    fn range(&mut self, toks: Vec<Spanned>, at: usize) -> Result<Node, SyntaxError> {
        let pipe = pipeline(&toks, at)?;
        if pipe.vars.len() > 2 {
            return Err(SyntaxError::new(at, "too many declarations in range"));
        }
        self.loops += 1;
        let listed = self.list();
        self.loops -= 1;
        let (body, end) = listed?;
        let otherwise = match end {
            Stop::Eof => return Err(unclosed(at, "range")),
            Stop::End(_) => Vec::new(),
            Stop::Else(rest, else_at) if rest.is_empty() => {
                let (body, end) = self.list()?;
                expect_end(end, else_at, "else")?;
                body
            }
            Stop::Else(_, else_at) => {
                return Err(SyntaxError::new(else_at, "unexpected tokens after else"))
            }
        };
        Ok(Node::Range {
            pipe,
            body,
            otherwise,
        })
    }
}

fn unclosed(at: usize, what: &str) -> SyntaxError {
    SyntaxError::new(at, format!("{{{{{what}}}}} has no matching {{{{end}}}}"))
}

fn expect_end(end: Stop, at: usize, what: &str) -> Result<(), SyntaxError> {
    match end {
        Stop::End(_) => Ok(()),
        Stop::Else(_, else_at) => Err(SyntaxError::new(
            else_at,
            format!("unexpected {{{{else}}}} in {what}"),
        )),
        Stop::Eof => Err(unclosed(at, what)),
    }
}

fn template_args(toks: &[Spanned], at: usize) -> Result<(String, Option<Pipe>), SyntaxError> {
    match toks.split_first() {
        Some(((Tok::Str(name), _), rest)) => {
            let pipe = if rest.is_empty() {
                None
            } else {
                Some(pipeline(rest, at)?)
            };
            Ok((name.clone(), pipe))
        }
        _ => Err(SyntaxError::new(at, "expected a quoted template name")),
    }
}

/// `[$a [, $b] (:= | =)] cmd | cmd …`
pub fn pipeline(toks: &[Spanned], at: usize) -> Result<Pipe, SyntaxError> {
    let mut vars = Vec::new();
    let mut assign = false;
    let mut rest = toks;
    let decl_end = toks
        .iter()
        .position(|(t, _)| matches!(t, Tok::Declare | Tok::Assign));
    if let Some(end) = decl_end {
        let names: Vec<_> = toks[..end]
            .iter()
            .filter(|(t, _)| *t != Tok::Comma)
            .collect();
        if names
            .iter()
            .all(|(t, _)| matches!(t, Tok::Var(_, f) if f.is_empty()))
            && !names.is_empty()
        {
            for (t, _) in names {
                if let Tok::Var(name, _) = t {
                    vars.push(name.clone());
                }
            }
            assign = toks[end].0 == Tok::Assign;
            rest = &toks[end + 1..];
        }
    }
    let mut cmds = Vec::new();
    let mut pos = 0;
    while pos < rest.len() {
        let (cmd, next) = command(rest, pos, at)?;
        cmds.push(cmd);
        pos = next;
        if pos < rest.len() {
            if rest[pos].0 != Tok::Pipe {
                return Err(SyntaxError::new(
                    rest[pos].1,
                    "unexpected token in pipeline",
                ));
            }
            pos += 1;
            if pos == rest.len() {
                return Err(SyntaxError::new(rest[pos - 1].1, "missing command after |"));
            }
        }
    }
    if cmds.is_empty() {
        return Err(SyntaxError::new(at, "missing value for command"));
    }
    Ok(Pipe {
        vars,
        assign,
        cmds,
        at,
    })
}

/// One command from `pos`: operands up to `|`, `)` or the end.
fn command(toks: &[Spanned], mut pos: usize, at: usize) -> Result<(Cmd, usize), SyntaxError> {
    let cmd_at = toks.get(pos).map_or(at, |t| t.1);
    let mut args = Vec::new();
    while let Some((tok, tok_at)) = toks.get(pos) {
        let arg = match tok {
            Tok::Pipe | Tok::Close(_) => break,
            Tok::Open => {
                let close = matching_close(toks, pos)?;
                let Tok::Close(fields) = &toks[close].0 else {
                    unreachable!("matching_close returns a Close")
                };
                let inner = pipeline(&toks[pos + 1..close], *tok_at)?;
                pos = close;
                Arg::Sub(Box::new(inner), fields.clone())
            }
            Tok::Field(f) => Arg::Field(f.clone()),
            Tok::Var(name, f) => Arg::Var(name.clone(), f.clone()),
            Tok::Ident(name) => Arg::Func(name.clone(), *tok_at),
            Tok::Str(s) => Arg::Lit(Val::str(s.as_str())),
            Tok::Int(i) => Arg::Lit(Val::Int(*i)),
            Tok::Float(f) => Arg::Lit(Val::Float(*f)),
            Tok::Bool(b) => Arg::Lit(Val::Bool(*b)),
            Tok::Nil => Arg::Lit(Val::Null),
            Tok::Declare | Tok::Assign | Tok::Comma => {
                return Err(SyntaxError::new(*tok_at, "unexpected declaration"))
            }
        };
        args.push(arg);
        pos += 1;
    }
    if args.is_empty() {
        return Err(SyntaxError::new(cmd_at, "missing value for command"));
    }
    Ok((Cmd { args, at: cmd_at }, pos))
}

fn matching_close(toks: &[Spanned], open: usize) -> Result<usize, SyntaxError> {
    let mut depth = 0usize;
    for (i, (t, _)) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Open => depth += 1,
            Tok::Close(_) => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => {}
        }
    }
    Err(SyntaxError::new(toks[open].1, "unclosed left paren"))
}
