//! The periodic on-call digest as a Slack message: a header with the window, the headline numbers with
//! their change against the previous window, who carried the pager, and the noisiest and most frequent
//! alerts. Every name that came from an alert or a person goes through the mrkdwn escaper; Slack users
//! acked as `slack:U…` become mentions.

mod numbers;
#[cfg(test)]
mod tests;
mod view;

pub use view::ReportView;

use super::blocks::{ellipsize, FALLBACK_TEXT_MAX, SECTION_TEXT_MAX};
use slack_morphism::prelude::{
    SlackBlock, SlackBlockMarkDownText, SlackBlockText, SlackContextBlock,
    SlackContextBlockElement, SlackHeaderBlock, SlackMessageContent, SlackMessageMetadata,
    SlackSectionBlock,
};
use std::collections::HashMap;
use versus_shared::domain::mrkdwn::{escape, person as mrkdwn_person};
use view::{Acks, AlertCount};

/// `metadata.event_type` of a digest message; its payload names the period (`period_end_ms`), so that
/// whoever reads the channel back can tell the digests apart.
pub const DIGEST_EVENT_TYPE: &str = "versus_digest";
/// People and alerts listed per section; the rest are counted.
pub const MAX_LISTED: usize = 10;
/// Slack's limit on a header's text.
const HEADER_MAX: usize = 150;
/// A person's or an alert's name is cut to this many characters before it is escaped, so ten of them fit
/// in one section whatever they hold.
const NAME_MAX: usize = 60;
/// Slack's limit on one field of a section.
const FIELD_MAX: usize = 2000;

/// A digest ready for `chat.postMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestMessage {
    pub text: String,
    pub blocks: Vec<SlackBlock>,
    pub metadata: SlackMessageMetadata,
}

impl DigestMessage {
    pub fn content(&self) -> SlackMessageContent {
        SlackMessageContent::new()
            .with_text(self.text.clone())
            .with_blocks(self.blocks.clone())
            .with_metadata(self.metadata.clone())
    }
}

/// The digest of the period ending at `period_end_ms`, reporting `current` against `previous`.
pub fn compose(current: &ReportView, previous: &ReportView, period_end_ms: i64) -> DigestMessage {
    let header = ellipsize(
        &format!(
            "On-call report: {}",
            numbers::days(&current.from, &current.to)
        ),
        HEADER_MAX,
    );
    let blocks = vec![
        SlackHeaderBlock::new(header.into()).into(),
        SlackSectionBlock::new()
            .with_fields(
                headline(current, previous)
                    .into_iter()
                    .map(|field| mrkdwn(ellipsize(&field, FIELD_MAX)))
                    .collect(),
            )
            .into(),
        section(&pager_section(current)),
        section(&alerts_section(
            "Noisiest alerts",
            &current.noisy_alerts,
            ("marked as noise", "marked as noise"),
            "Nothing was marked as noise.",
        )),
        section(&alerts_section(
            "Most frequent alerts",
            &current.top_alerts,
            ("incident", "incidents"),
            "No incidents.",
        )),
        SlackContextBlock::new(vec![SlackContextBlockElement::MarkDown(
            SlackBlockMarkDownText::new(format!(
                "Changes (▲ ▼) are against {}.",
                numbers::days(&previous.from, &previous.to)
            )),
        )])
        .into(),
    ];
    DigestMessage {
        text: fallback(current, previous),
        blocks,
        metadata: SlackMessageMetadata {
            event_type: DIGEST_EVENT_TYPE.into(),
            event_payload: Some(HashMap::from([
                ("period_end_ms".to_string(), period_end_ms.to_string()),
                ("from".to_string(), current.from.clone()),
                ("to".to_string(), current.to.clone()),
            ])),
        },
    }
}

/// The headline numbers, each with its change.
fn headline(now: &ReportView, before: &ReportView) -> Vec<String> {
    let times = |now: &view::Percentiles, before: &view::Percentiles| {
        format!(
            "p50 {} · p90 {}",
            numbers::duration_change(now.p50, before.p50),
            numbers::duration_change(now.p90, before.p90)
        )
    };
    vec![
        format!("*Incidents*\n{}", numbers::count(now.total, before.total)),
        format!(
            "*Acknowledged*\n{}",
            numbers::count(now.acknowledged, before.acknowledged)
        ),
        format!("*Paged*\n{}", numbers::count(now.paged, before.paged)),
        format!(
            "*Resolved without ack*\n{}",
            numbers::count(now.resolved_without_ack, before.resolved_without_ack)
        ),
        format!(
            "*Noise*\n{} · {}",
            numbers::count(now.noise.count, before.noise.count),
            numbers::rate(now.noise.rate, before.noise.rate)
        ),
        format!(
            "*Time to acknowledge*\n{}",
            times(&now.time_to_ack_seconds, &before.time_to_ack_seconds)
        ),
        format!(
            "*Time to resolve*\n{}",
            times(
                &now.time_to_resolve_seconds,
                &before.time_to_resolve_seconds
            )
        ),
    ]
}

/// "Who carried the pager": people by acks, most first, then the acks through an unnamed link.
fn pager_section(report: &ReportView) -> String {
    let mut people: Vec<(&String, &Acks)> = report.acks_by.iter().collect();
    people.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
    let mut lines: Vec<String> = people
        .iter()
        .take(MAX_LISTED)
        .map(|(person, acks)| acks_line(&who(person), acks))
        .collect();
    if people.len() > MAX_LISTED {
        lines.push(format!("… and {} more", people.len() - MAX_LISTED));
    }
    if report.unnamed_link_acks.count > 0 {
        lines.push(acks_line("_Unnamed link acks_", &report.unnamed_link_acks));
    }
    listing("Who carried the pager", lines, "No acknowledgements.")
}

fn acks_line(who: &str, acks: &Acks) -> String {
    let noun = if acks.count == 1 { "ack" } else { "acks" };
    format!(
        "• {who} — {} {noun}, median {}",
        acks.count,
        numbers::duration(acks.median_seconds)
    )
}

/// `units` is the count's noun: (one, several).
fn alerts_section(title: &str, alerts: &[AlertCount], units: (&str, &str), none: &str) -> String {
    let mut lines: Vec<String> = alerts
        .iter()
        .take(MAX_LISTED)
        .map(|alert| {
            let unit = if alert.count == 1 { units.0 } else { units.1 };
            format!("• {} — {} {unit}", name(&alert.alertname), alert.count)
        })
        .collect();
    if alerts.len() > MAX_LISTED {
        lines.push(format!("… and {} more", alerts.len() - MAX_LISTED));
    }
    listing(title, lines, none)
}

fn listing(title: &str, lines: Vec<String>, none: &str) -> String {
    if lines.is_empty() {
        return format!("*{title}*\n_{none}_");
    }
    format!("*{title}*\n{}", lines.join("\n"))
}

/// A person as the digest names them: a Slack user as a mention, anyone else by their escaped name.
fn who(person: &str) -> String {
    if person.trim().is_empty() {
        return "_(no name)_".into();
    }
    if person.starts_with("slack:") {
        return mrkdwn_person(person);
    }
    name(person)
}

/// Untrusted text cut to [`NAME_MAX`] characters, then escaped (cutting first never splits an escape).
fn name(text: &str) -> String {
    let mut chars = text.chars();
    let kept: String = chars.by_ref().take(NAME_MAX).collect();
    let cut = if chars.next().is_some() { "…" } else { "" };
    format!("{}{cut}", escape(&kept))
}

fn section(text: &str) -> SlackBlock {
    SlackSectionBlock::new()
        .with_text(mrkdwn(ellipsize(text, SECTION_TEXT_MAX)))
        .into()
}

fn mrkdwn(text: String) -> SlackBlockText {
    SlackBlockText::MarkDown(SlackBlockMarkDownText::new(text))
}

/// The top-level `text`: notifications and clients without blocks show it.
fn fallback(now: &ReportView, before: &ReportView) -> String {
    ellipsize(
        &format!(
            "On-call report {}: {} incidents, {} acknowledged, {} paged, {} resolved without ack, noise {}; time to acknowledge p50 {}, time to resolve p50 {}.",
            numbers::days(&now.from, &now.to),
            numbers::count(now.total, before.total),
            now.acknowledged,
            now.paged,
            now.resolved_without_ack,
            numbers::rate(now.noise.rate, before.noise.rate),
            numbers::duration(now.time_to_ack_seconds.p50),
            numbers::duration(now.time_to_resolve_seconds.p50),
        ),
        FALLBACK_TEXT_MAX,
    )
}
