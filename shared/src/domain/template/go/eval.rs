//! Runs a parsed Go template over the alert's data.

use super::funcs::{self, Env};
use super::parser::{Arg, Cmd, Node, Pipe, Tree};
use super::value::Val;
use std::sync::Arc as Rc;

/// How deep `{{template}}` may call itself before the render is stopped.
const MAX_TEMPLATE_DEPTH: usize = 64;
/// How many list items and loop turns one render may walk, so a template cannot spin on a large payload.
const MAX_STEPS: usize = 1_000_000;

/// A render failure and the offset of the action that caused it.
#[derive(Debug)]
pub struct EvalError {
    pub at: usize,
    pub message: String,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

pub struct State<'a> {
    tree: &'a Tree,
    env: &'a Env,
    vars: Vec<(String, Val)>,
    out: String,
    depth: usize,
    steps: usize,
}

pub fn render(tree: &Tree, env: &Env, data: Val) -> Result<String, EvalError> {
    let mut state = State {
        tree,
        env,
        vars: vec![(String::new(), data.clone())],
        out: String::new(),
        depth: 0,
        steps: 0,
    };
    state.walk(&tree.main, &data)?;
    Ok(state.out)
}

impl State<'_> {
    fn walk(&mut self, nodes: &[Node], dot: &Val) -> Result<Flow, EvalError> {
        for node in nodes {
            match self.node(node, dot)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn scoped(&mut self, nodes: &[Node], dot: &Val) -> Result<Flow, EvalError> {
        let mark = self.vars.len();
        let flow = self.walk(nodes, dot);
        self.vars.truncate(mark);
        flow
    }

    fn node(&mut self, node: &Node, dot: &Val) -> Result<Flow, EvalError> {
        match node {
            Node::Text(text) => self.out.push_str(text),
            Node::Print(pipe) => {
                let value = self.pipe(pipe, dot)?;
                if pipe.vars.is_empty() {
                    value.print(&mut self.out);
                }
            }
            Node::If {
                with,
                cond,
                then,
                otherwise,
            } => {
                let mark = self.vars.len();
                let value = self.pipe(cond, dot)?;
                let flow = if value.truthy() {
                    let inner = if *with { &value } else { dot };
                    self.scoped(then, &inner.clone())
                } else {
                    self.scoped(otherwise, dot)
                };
                self.vars.truncate(mark);
                return flow;
            }
            Node::Range {
                pipe,
                body,
                otherwise,
            } => return self.range(pipe, body, otherwise, dot),
            Node::Template { name, pipe, at } => {
                let Some(body) = self.tree.defines.get(name) else {
                    return Err(self.error(*at, format!("no such template {name:?}")));
                };
                if self.depth >= MAX_TEMPLATE_DEPTH {
                    return Err(self.error(*at, "templates call each other too deeply"));
                }
                let arg = match pipe {
                    Some(p) => self.pipe(p, dot)?,
                    None => Val::Null,
                };
                // A called template sees only `$` = its argument, not the caller's variables.
                let saved = std::mem::replace(&mut self.vars, vec![(String::new(), arg.clone())]);
                self.depth += 1;
                let flow = self.walk(body, &arg);
                self.depth -= 1;
                self.vars = saved;
                flow?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn range(
        &mut self,
        pipe: &Pipe,
        body: &[Node],
        otherwise: &[Node],
        dot: &Val,
    ) -> Result<Flow, EvalError> {
        let mark = self.vars.len();
        let value = self.pipe_value(pipe, dot)?;
        let items: Vec<(Val, Val)> = match &value {
            Val::List(list) => list
                .iter()
                .enumerate()
                .map(|(i, v)| (Val::Int(i as i64), v.clone()))
                .collect(),
            Val::Map(map) => map
                .iter()
                .map(|(k, v)| {
                    let key = Val::Str {
                        text: Rc::from(k.as_str()),
                        payload: true,
                    };
                    (key, v.clone())
                })
                .collect(),
            Val::Int(n) => (0..*n).map(|i| (Val::Int(i), Val::Int(i))).collect(),
            _ => Vec::new(),
        };
        if items.is_empty() {
            let flow = self.scoped(otherwise, dot);
            self.vars.truncate(mark);
            return flow;
        }
        for (key, item) in items {
            self.step(pipe.at)?;
            match pipe.vars.as_slice() {
                [v] => self.vars.push((v.clone(), item.clone())),
                [k, v] => {
                    self.vars.push((k.clone(), key));
                    self.vars.push((v.clone(), item.clone()));
                }
                _ => {}
            }
            let flow = self.scoped(body, &item);
            self.vars.truncate(mark);
            if let Flow::Break = flow? {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    fn step(&mut self, at: usize) -> Result<(), EvalError> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(self.error(at, "the template does too much work for one message"));
        }
        Ok(())
    }

    /// Evaluates a pipeline and applies its declarations or assignments.
    fn pipe(&mut self, pipe: &Pipe, dot: &Val) -> Result<Val, EvalError> {
        let value = self.pipe_value(pipe, dot)?;
        if pipe.cmds.is_empty() {
            return Ok(value);
        }
        for name in &pipe.vars {
            if pipe.assign {
                match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = value.clone(),
                    None => return Err(self.error(pipe.at, format!("undefined variable ${name}"))),
                }
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    /// The value of a pipeline without declaring anything (`range` declares per item).
    fn pipe_value(&mut self, pipe: &Pipe, dot: &Val) -> Result<Val, EvalError> {
        let mut piped = None;
        for cmd in &pipe.cmds {
            piped = Some(self.command(cmd, dot, piped)?);
        }
        Ok(piped.unwrap_or(Val::Missing))
    }

    fn command(&mut self, cmd: &Cmd, dot: &Val, piped: Option<Val>) -> Result<Val, EvalError> {
        if let Arg::Func(name, at) = &cmd.args[0] {
            let mut args = Vec::with_capacity(cmd.args.len());
            for arg in &cmd.args[1..] {
                args.push(self.arg(arg, dot)?);
            }
            args.extend(piped);
            return funcs::call(self.env, name, args).map_err(|message| self.error(*at, message));
        }
        if cmd.args.len() > 1 || piped.is_some() {
            return Err(self.error(cmd.at, "can't give an argument to a non-function"));
        }
        self.arg(&cmd.args[0], dot)
    }

    fn arg(&mut self, arg: &Arg, dot: &Val) -> Result<Val, EvalError> {
        Ok(match arg {
            Arg::Field(fields) => lookup(dot.clone(), fields),
            Arg::Var(name, fields) => {
                let Some((_, value)) = self.vars.iter().rev().find(|(n, _)| n == name) else {
                    return Err(self.error(0, format!("undefined variable ${name}")));
                };
                lookup(value.clone(), fields)
            }
            Arg::Func(name, at) => {
                funcs::call(self.env, name, Vec::new()).map_err(|m| self.error(*at, m))?
            }
            Arg::Lit(v) => v.clone(),
            Arg::Sub(pipe, fields) => {
                let value = self.pipe_value(pipe, dot)?;
                lookup(value, fields)
            }
        })
    }

    fn error(&self, at: usize, message: impl Into<String>) -> EvalError {
        EvalError {
            at,
            message: message.into(),
        }
    }
}

/// `.a.b.c` on `value`: a missing key, or a field of something that is not a map, is [`Val::Missing`].
fn lookup(mut value: Val, fields: &[String]) -> Val {
    for field in fields {
        value = match &value {
            Val::Map(map) => map.get(field.as_str()).cloned().unwrap_or(Val::Missing),
            _ => Val::Missing,
        };
    }
    value
}
