//! How a received payload is kept in the incident record: zstd-compressed JSON text.
//!
//! The payload is most of an incident record's size, and alert JSON compresses to about a quarter
//! (`docs/performance.md`). Records written before compression hold the JSON text itself; [`decode`] tells the two apart by zstd's frame magic, which no JSON text starts with.

use std::cell::RefCell;
use thiserror::Error;
use zstd::bulk::{Compressor, Decompressor};

/// zstd's fastest regular level: on alert JSON its output is no larger than level 3's.
const LEVEL: i32 = 1;

/// A frame that claims more than this is damaged: the API's body limit is far below it.
const MAX_DECODED: u64 = 64 * 1024 * 1024;

thread_local! {
    // A context per thread: creating one costs more than compressing a payload with it.
    static COMPRESSOR: RefCell<Compressor<'static>> =
        RefCell::new(Compressor::new(LEVEL).expect("zstd accepts compression level 1"));
    static DECOMPRESSOR: RefCell<Decompressor<'static>> =
        RefCell::new(Decompressor::new().expect("a zstd decompression context can be created"));
}

/// The first four bytes of every zstd frame (0xFD2FB528, little-endian).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

#[derive(Debug, Error)]
pub enum PayloadError {
    #[error("a stored payload is not valid zstd ({0}); the record was damaged or written by another program: inspect it with redis-cli")]
    Corrupt(std::io::Error),
    #[error("a stored payload does not state its size, or states more than 64 MiB; it was not written by Versus: inspect it with redis-cli")]
    Unsized,
    #[error("a stored payload is not UTF-8 text; the record was damaged or written by another program: inspect it with redis-cli")]
    NotText,
}

/// The payload's JSON text as stored.
pub fn encode(text: &str) -> Vec<u8> {
    COMPRESSOR.with_borrow_mut(|compressor| {
        compressor
            .compress(text.as_bytes())
            .expect("zstd compression of an in-memory buffer cannot fail")
    })
}

/// The JSON text of a stored payload, compressed or (records from before compression) not.
pub fn decode(stored: &[u8]) -> Result<String, PayloadError> {
    let bytes = if stored.starts_with(&ZSTD_MAGIC) {
        // Every frame Versus writes states its decoded size: one that does not, or states more than any
        // accepted body could be, was not written by Versus and is not decoded (a tiny frame can claim GiB).
        let size = match zstd::zstd_safe::get_frame_content_size(stored) {
            Ok(Some(size)) if size <= MAX_DECODED => size as usize,
            _ => return Err(PayloadError::Unsized),
        };
        DECOMPRESSOR
            .with_borrow_mut(|d| d.decompress(stored, size))
            .map_err(PayloadError::Corrupt)?
    } else {
        stored.to_vec()
    };
    String::from_utf8(bytes).map_err(|_| PayloadError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_shrinks_an_alertmanager_payload() {
        let text = crate::domain::template::sample_alertmanager_payload().to_string();
        let stored = encode(&text);
        assert!(
            stored.len() * 3 < text.len(),
            "{} of {}",
            stored.len(),
            text.len()
        );
        assert_eq!(decode(&stored).unwrap(), text);
    }

    #[test]
    fn reads_records_stored_before_compression() {
        assert_eq!(decode(br#"{"a":1}"#).unwrap(), r#"{"a":1}"#);
        assert_eq!(decode(b"").unwrap(), "");
    }

    #[test]
    fn damaged_payloads_are_errors() {
        let mut stored = encode(r#"{"alerts":[]}"#);
        stored.truncate(6);
        assert!(matches!(decode(&stored), Err(PayloadError::Corrupt(_))));
        assert!(matches!(decode(&[0xff, 0xfe]), Err(PayloadError::NotText)));
    }

    #[test]
    fn frames_that_do_not_state_a_bounded_size_are_refused() {
        // A streamed frame has no content size in its header.
        let mut streamed = Vec::new();
        let mut encoder = zstd::stream::Encoder::new(&mut streamed, 1).unwrap();
        std::io::Write::write_all(&mut encoder, br#"{"a":1}"#).unwrap();
        encoder.finish().unwrap();
        assert!(matches!(decode(&streamed), Err(PayloadError::Unsized)));

        // A frame header claiming 1 GiB (single-segment, 8-byte content size) with nothing after it.
        let mut huge = ZSTD_MAGIC.to_vec();
        huge.push(0b1110_0000);
        huge.extend_from_slice(&(1u64 << 30).to_le_bytes());
        assert!(matches!(decode(&huge), Err(PayloadError::Unsized)));
    }
}
