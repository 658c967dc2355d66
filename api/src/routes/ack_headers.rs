//! Headers on every answer of an ack link (page, JSON, not found): the page may not be framed, load
//! anything, or post anywhere but back to itself, and browsers may not guess another content type.

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;

/// The ack page has inline styles and a form that posts to its own URL, and nothing else.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

pub fn ack_security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
}
