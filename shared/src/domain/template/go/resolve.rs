//! Names a parsed template uses, resolved before it is ever rendered: functions and `{{template}}` names.

use super::parser::{Arg, Node, Pipe, Tree};
use super::SyntaxError;

/// Functions are resolved when the template is parsed, as Go does, so a misspelt name fails at start-up.
pub(super) fn check_functions(
    tree: &Tree,
    known: &dyn Fn(&str) -> bool,
) -> Result<(), SyntaxError> {
    fn pipe(p: &Pipe, known: &dyn Fn(&str) -> bool) -> Result<(), SyntaxError> {
        for cmd in &p.cmds {
            for arg in &cmd.args {
                match arg {
                    Arg::Func(name, at) if !known(name) => {
                        return Err(SyntaxError::new(
                            *at,
                            format!("function {name:?} not defined"),
                        ))
                    }
                    Arg::Sub(inner, _) => pipe(inner, known)?,
                    _ => {}
                }
            }
        }
        Ok(())
    }
    fn nodes(list: &[Node], tree: &Tree, known: &dyn Fn(&str) -> bool) -> Result<(), SyntaxError> {
        for node in list {
            match node {
                Node::Print(p) => pipe(p, known)?,
                Node::If {
                    cond,
                    then,
                    otherwise,
                    ..
                } => {
                    pipe(cond, known)?;
                    nodes(then, tree, known)?;
                    nodes(otherwise, tree, known)?;
                }
                Node::Range {
                    pipe: p,
                    body,
                    otherwise,
                } => {
                    pipe(p, known)?;
                    nodes(body, tree, known)?;
                    nodes(otherwise, tree, known)?;
                }
                Node::Template { name, pipe: p, at } => {
                    if !tree.defines.contains_key(name) {
                        return Err(SyntaxError::new(*at, format!("no such template {name:?}")));
                    }
                    if let Some(p) = p {
                        pipe(p, known)?;
                    }
                }
                Node::Text(_) | Node::Break | Node::Continue => {}
            }
        }
        Ok(())
    }
    nodes(&tree.main, tree, known)?;
    for body in tree.defines.values() {
        nodes(body, tree, known)?;
    }
    Ok(())
}
