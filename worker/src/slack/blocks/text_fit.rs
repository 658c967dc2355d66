//! Text within Slack's limits: long text split over sections without breaking a
//! character or a code block, and lengths counted in UTF-16 code units.

use super::TRUNCATION_NOTE;

const FENCE: &str = "```";
const FENCE_OPEN: &str = "```\n";
const FENCE_CLOSE: &str = "\n```";

/// Splits `text` into at most `max_sections` pieces of at most `max` UTF-16 units each. When the text does not
/// fit, the last piece ends with [`TRUNCATION_NOTE`].
pub(super) fn split_sections(text: &str, max: usize, max_sections: usize) -> Vec<String> {
    let max_sections = max_sections.max(1);
    let mut chunks = Vec::new();
    let mut rest = text;
    let mut fence_open = false;
    while !rest.trim().is_empty() {
        let opening = if fence_open { FENCE_OPEN } else { "" };
        let room = max - units(opening);
        if fits(rest, room) {
            chunks.push(format!("{opening}{rest}"));
            break;
        }
        let last = chunks.len() + 1 >= max_sections;
        let room = room - if last { units(TRUNCATION_NOTE) + 1 } else { 0 };
        let odd_fences =
            |piece: &str| (opening.matches(FENCE).count() + piece.matches(FENCE).count()) % 2 == 1;
        let (mut piece, mut remainder) = cut(rest, room);
        if odd_fences(piece) {
            // The cut falls inside a code block: make room to close it here and reopen it in the next section.
            (piece, remainder) = cut(rest, room - units(FENCE_CLOSE));
        }
        let mut chunk = format!("{opening}{piece}");
        fence_open = odd_fences(piece);
        if fence_open {
            chunk.push_str(FENCE_CLOSE);
        }
        if last {
            chunk.push('\n');
            chunk.push_str(TRUNCATION_NOTE);
            chunks.push(chunk);
            break;
        }
        if !piece.trim().is_empty() {
            chunks.push(chunk);
        }
        rest = remainder;
    }
    chunks
}

/// Cuts `text` (longer than `room`) into a first piece of at most `room` units and the rest: at the last line
/// break in the second half of the window, else the last space there, else the last line break at all, else at
/// the window's end (a character boundary).
fn cut(text: &str, room: usize) -> (&str, &str) {
    let limit = prefix_len(text, room.max(1));
    let window = &text[..limit];
    let half = limit / 2;
    let at = |i: usize, sep_len: usize| (text[..i].trim_end(), &text[i + sep_len..]);
    if let Some(i) = window.rfind('\n').filter(|&i| i >= half) {
        return at(i, 1);
    }
    if let Some(i) = window.rfind(' ').filter(|&i| i >= half) {
        return at(i, 1);
    }
    if let Some(i) = window.rfind('\n').filter(|&i| i > 0) {
        return at(i, 1);
    }
    (window, &text[limit..])
}

/// The byte length of the longest prefix of `text` within `max` UTF-16 units, on a character boundary. At
/// least one character when `text` is not empty, so that splitting always makes progress.
fn prefix_len(text: &str, max: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.len_utf16();
        if used > max {
            return if i == 0 { c.len_utf8() } else { i };
        }
    }
    text.len()
}

/// Whether `text` is at most `max` UTF-16 units; stops counting as soon as it is not.
fn fits(text: &str, max: usize) -> bool {
    let mut used = 0;
    text.chars().all(|c| {
        used += c.len_utf16();
        used <= max
    })
}

pub(super) fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` cut to at most `max` UTF-16 units, ending with `…` when cut.
pub(crate) fn ellipsize(text: &str, max: usize) -> String {
    if fits(text, max) {
        return text.to_string();
    }
    let keep = prefix_len(text, max.saturating_sub(1));
    format!("{}…", text[..keep].trim_end())
}
