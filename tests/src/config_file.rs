//! Configuration files for tests that need more than the environment can say: the shipped
//! `config/config.yaml` with YAML appended, written to a directory the test owns.

use std::path::{Path, PathBuf};

use crate::topology::CONFIG_PATH;

/// `ingest_auth` with one bearer token, taken from `VERSUS_INGEST_TOKEN` as a deployment would.
pub const INGEST_AUTH_FROM_ENV: &str =
    "ingest_auth:\n  bearer_tokens: [\"${VERSUS_INGEST_TOKEN}\"]\n";

/// Writes `dir/config.yaml`: the shipped configuration plus `extra` (top-level keys it does not have).
/// The template path is made absolute, since the file no longer sits beside `config/`.
pub fn shipped_config_with(dir: &Path, extra: &str) -> PathBuf {
    let shipped = std::fs::read_to_string(CONFIG_PATH).expect("config/config.yaml");
    let template = Path::new(CONFIG_PATH).with_file_name("slack_message.tmpl");
    let text = shipped.replace(
        "template_path: config/slack_message.tmpl",
        &format!("template_path: {}", template.display()),
    );
    let path = dir.join("config.yaml");
    std::fs::write(&path, format!("{text}\n{extra}")).expect("write the test's config.yaml");
    path
}
