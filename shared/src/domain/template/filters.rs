//! Filters that Versus adds to minijinja's builtins.
//!
//! The builtins the product documents (`upper`, `lower`, `title`, `default`, `join`, `tojson`) come with minijinja's
//! `builtins` and `json` features and are present in every [`minijinja::Environment::new`]; a unit test makes sure
//! of it. Added here:
//!
//! * `date`: formats a timestamp with a Go reference layout (`"Jan 02, 2006 15:04:05 MST"`) or a strftime format
//!   (`"%Y-%m-%d %H:%M"`, recognised by its `%`). Without a layout it writes RFC 3339. An optional second argument
//!   picks the zone: `"UTC"`, `"Local"` or a fixed offset such as `"+02:00"`; without it the timestamp keeps its
//!   own offset (unix times are UTC).
//! * `slack_escape`: escapes `&`, `<` and `>` as every value already is by default (see `autoescape`); kept for
//!   templates written before escaping was the default, and never escapes twice.

mod date;

pub use super::autoescape::slack_escape;
pub use date::{date, format_datetime, to_datetime};
use minijinja::Environment;

/// Filters Versus registers on top of minijinja's builtins.
pub const VERSUS_FILTERS: &[&str] = &["date", "slack_escape"];

/// Builtin filters the product documentation promises; [`register`] environments must have them.
pub const DOCUMENTED_BUILTINS: &[&str] = &["upper", "lower", "title", "default", "join", "tojson"];

/// The other minijinja builtin filters, used only to suggest a name when a template misspells one.
pub(crate) const OTHER_BUILTINS: &[&str] = &[
    "safe",
    "escape",
    "e",
    "capitalize",
    "replace",
    "length",
    "count",
    "dictsort",
    "items",
    "reverse",
    "trim",
    "split",
    "lines",
    "d",
    "round",
    "abs",
    "int",
    "float",
    "attr",
    "first",
    "last",
    "min",
    "max",
    "sort",
    "list",
    "string",
    "bool",
    "batch",
    "slice",
    "sum",
    "indent",
    "select",
    "reject",
    "selectattr",
    "rejectattr",
    "map",
    "groupby",
    "unique",
    "chain",
    "zip",
    "pprint",
    "format",
    "urlencode",
];

/// Adds Versus's filters to `env`.
pub fn register(env: &mut Environment<'_>) {
    env.add_filter("date", date);
    env.add_filter("slack_escape", slack_escape);
}

#[cfg(test)]
mod tests;
