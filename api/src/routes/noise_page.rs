//! The page and message that answer a noise mark.

use super::ack_page::{escape, page};
use versus_shared::domain::incident::NoiseResult;

/// The result, with a link back to the incident's page (`back`, the ack link's path).
pub fn result(incident_title: &str, result: NoiseResult, back: &str) -> String {
    page(
        incident_title,
        &format!(
            "<h1 id=\"title\">{}</h1>\n<p id=\"result\">{}</p>\n<p><a href=\"{}\">Back to the incident</a></p>\n",
            escape(incident_title),
            escape(result_message(result)),
            escape(back)
        ),
    )
}

pub fn result_message(result: NoiseResult) -> &'static str {
    match result {
        NoiseResult::Marked => "Marked as noise. It counts as a false positive in the on-call reports.",
        NoiseResult::AlreadyMarked => "It was already marked as noise.",
        NoiseResult::Unmarked => "The noise mark is off. It no longer counts as a false positive.",
        NoiseResult::NotMarked => "It was not marked as noise.",
        NoiseResult::Missing => {
            "This incident is not in the on-call reports (it predates them, or is past their retention), so it cannot be marked."
        }
    }
}
