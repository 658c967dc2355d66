//! Posting and updating incidents' Slack messages, and everything Versus writes in them: the incident's own
//! message ([`compose`], [`blocks`], with `parameter_warning` on top when its URL was wrong, or
//! `heartbeat_text` for a missed heartbeat) and the notes
//! beside it ([`notices`]); and the periodic on-call digest ([`digest`]).

pub mod blocks;
mod client;
pub mod compose;
pub mod digest;
mod heartbeat_text;
pub mod notices;
mod parameter_warning;
mod rate_gate;

pub use blocks::to_message_content;
pub use client::{MissingSlackToken, Placement, Posted, SlackClient, SlackError};
pub use compose::Composer;
