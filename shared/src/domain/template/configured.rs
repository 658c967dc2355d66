//! The message template the configuration names.

use super::{MessageTemplate, TemplateError, TemplateOptions};
use crate::infra::config::{resolve_template_path, SlackSettings};
use std::path::Path;

impl MessageTemplate {
    /// The template of `alert.slack.template_path`, looked up in the working directory, then beside the
    /// config file. With Slack on, a missing or broken template is an error, so start-up fails naming it.
    /// With Slack off the template only shapes the logged text: it is used when it loads, skipped otherwise.
    pub fn from_settings(
        slack: &SlackSettings,
        config_path: &Path,
    ) -> Result<Option<Self>, TemplateError> {
        let path = resolve_template_path(&slack.template_path, config_path);
        let options = TemplateOptions::from_settings(slack);
        if slack.enable {
            let path = path.unwrap_or_else(|| slack.template_path.clone());
            Self::from_file_with(&path, &options).map(Some)
        } else {
            Ok(path.and_then(|path| Self::from_file_with(&path, &options).ok()))
        }
    }
}

impl TemplateOptions {
    /// The template options of `alert.slack`.
    pub fn from_settings(slack: &SlackSettings) -> Self {
        Self {
            syntax: slack.template_syntax,
            allowed_env: slack.template_env.clone(),
        }
    }
}
