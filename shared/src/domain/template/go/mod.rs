//! Go `text/template` templates, as Versus Incident users write them, rendered with the semantics
//! `docs/templates.md` describes: a missing key renders empty, every function accepts a missing value, helpers take
//! the piped value last, numbers compare by value, and payload strings are escaped for Slack before rendering.

mod eval;
mod funcs;
mod helpers;
mod lexer;
mod parser;
mod printf;
mod resolve;
mod value;

pub use funcs::{Env, BUILTINS};
pub use helpers::NAMES as HELPERS;
pub use value::Val;

/// A mistake in the template's text, at a byte offset of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: usize,
    pub message: String,
}

impl SyntaxError {
    pub fn new(at: usize, message: impl Into<String>) -> Self {
        Self {
            at,
            message: message.into(),
        }
    }
}

pub use eval::EvalError;

/// A compiled Go template.
#[derive(Debug)]
pub struct GoTemplate {
    tree: parser::Tree,
    env: Env,
}

impl GoTemplate {
    pub fn compile(source: &str, env: Env) -> Result<Self, SyntaxError> {
        let tree = parser::parse(source, &funcs::known)?;
        Ok(Self { tree, env })
    }

    /// Renders `data`; payload text in the output is marked for `mrkdwn::marked::seal`.
    pub fn render(&self, data: Val) -> Result<String, EvalError> {
        eval::render(&self.tree, &self.env, data)
    }
}

#[cfg(test)]
mod tests;
