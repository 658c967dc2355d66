//! Slack message templates.
//!
//! A [`MessageTemplate`] is compiled once from `alert.slack.template_path` and rendered for every alert. Templates
//! are minijinja (Jinja2 syntax); `docs/templates.md` maps the Go-template forms of earlier Versus releases to it.
//!
//! The data a template sees is every top-level field of the received JSON object (`status`, `commonLabels`,
//! `alerts`, ... for Alertmanager; any keys for free-form JSON) plus `AckURL`, the acknowledge link, which is the
//! empty string when on-call does not apply. A payload that is not an object contributes nothing.
//!
//! Every value a template writes is escaped for Slack's mrkdwn unless the template says `| safe` for it
//! ([`autoescape`]), so text from an alert cannot mention `<!channel>` or change the template's links.
//!
//! Missing data never fails a render: lookups are chainable, so `{{ commonLabels.instance }}` on a payload without
//! `commonLabels` renders empty. Mistakes in the template itself (syntax errors, unknown filters or tests) are
//! found when it is compiled and reported with the template's name, line and column.

mod autoescape;
mod configured;
mod diagnostic;
pub mod filters;
pub mod go_layout;
mod hint;
mod message;
mod names;
mod sample;
mod scan;

pub use diagnostic::{Diagnostic, Location, TemplateError};
pub use message::{MessageTemplate, RenderExtras};
pub use sample::{
    sample_alertmanager_payload, sample_freeform_payload, SAMPLE_ACK_URL, SAMPLE_ALERTMANAGER_JSON,
    SAMPLE_ESCALATE_AFTER_MS,
};

use minijinja::{Environment, UndefinedBehavior};

/// The environment every Versus template is compiled in: minijinja's builtins plus [`filters`], chainable
/// undefined values, every written value escaped for Slack's mrkdwn ([`autoescape`]), and whitespace handled as
/// Go templates do (no block trimming; use `{%-` / `-%}` to trim). Text rendered in it goes to Slack through
/// [`MessageTemplate::render`], which finishes the escaping.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_debug(true);
    filters::register(&mut env);
    autoescape::enable(&mut env);
    env
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_escaping;
