//! The header codec: base64 (standard alphabet) of UTF-8 JSON.
//!
//! Encoding is strict (padded). Decoding tolerates missing padding and
//! surrounding whitespace, nothing else, and refuses oversized values before
//! doing any work.

use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Document, Error, Result};

/// The largest header value decoded, in bytes (32 KiB).
pub const MAX_HEADER_LEN: usize = 32 * 1024;

const ENCODER: GeneralPurpose = GeneralPurpose::new(&STANDARD, GeneralPurposeConfig::new());
const DECODER: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes a value as a header: base64 of its UTF-8 JSON, padded.
///
/// # Errors
/// Only if `value`'s `Serialize` implementation fails, which the crate's models never do.
pub fn encode_header<T: Serialize + ?Sized>(value: &T, document: Document) -> Result<String> {
    let json = serde_json::to_vec(value).map_err(|source| Error::json(document, source))?;
    Ok(ENCODER.encode(json))
}

/// Decodes a header value to its UTF-8 JSON text.
///
/// # Errors
/// [`Error::HeaderTooLarge`] above [`MAX_HEADER_LEN`], [`Error::InvalidBase64`],
/// [`Error::InvalidUtf8`].
pub fn decode_header_text(value: &str) -> Result<String> {
    if value.len() > MAX_HEADER_LEN {
        return Err(Error::HeaderTooLarge {
            len: value.len(),
            limit: MAX_HEADER_LEN,
        });
    }
    let value = value.trim_matches(|c: char| c.is_ascii_whitespace());
    // Padding may be absent, but if present it must be complete.
    if value.ends_with('=') && value.len() % 4 != 0 {
        return Err(Error::InvalidBase64 {
            source: base64::DecodeError::InvalidPadding,
        });
    }
    let bytes = DECODER
        .decode(value)
        .map_err(|source| Error::InvalidBase64 { source })?;
    String::from_utf8(bytes).map_err(|e| Error::InvalidUtf8 {
        source: e.utf8_error(),
    })
}

/// Decodes a header value into a model.
///
/// # Errors
/// Those of [`decode_header_text`], then [`Error::InvalidJson`] or
/// [`Error::InvalidDocument`] (whose code depends on `document`).
pub fn decode_header<T: DeserializeOwned>(value: &str, document: Document) -> Result<T> {
    let text = decode_header_text(value)?;
    parse_json(&text).map_err(|source| Error::json(document, source))
}

/// [`decode_header`] for a document handed on as it was sent (decodeHeader's output, a
/// payment a Worker forwards): one holding an integer beyond 2^53, which `JSON.parse`
/// would round, is refused. Checked on the header's own text: the parser has already
/// turned an integer of 2^64 or more into a float.
///
/// # Errors
/// Those of [`decode_header`]; [`Error::InvalidDocument`] for such an integer.
pub fn decode_header_exact<T: DeserializeOwned>(value: &str, document: Document) -> Result<T> {
    let text = decode_header_text(value)?;
    if let Some(integer) = inexact_integer(&text) {
        let source = <serde_json::Error as serde::de::Error>::custom(inexact_message(integer));
        return Err(Error::InvalidDocument { document, source });
    }
    parse_json(&text).map_err(|source| Error::json(document, source))
}

/// Why an integer beyond 2^53 is refused.
pub fn inexact_message(integer: &str) -> String {
    format!("{integer} can't be represented exactly as a JavaScript number")
}

/// Parses JSON text into `T` through a [`serde_json::Value`]. Every model is read
/// from `&Value` only, in this crate (from text, from JS values, in place), so its
/// deserializer is compiled once instead of once per input kind: a smaller wasm.
/// Duplicate keys keep the last value, as `JSON.parse` does.
///
/// # Errors
/// The text is not JSON, or not the shape of `T`.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> serde_json::Result<T> {
    let value: serde_json::Value = serde_json::from_str(text)?;
    T::deserialize(&value)
}

/// The first integer of JSON `text` (outside strings) beyond ±(2^53 - 1), which
/// `JSON.parse` would round: refused rather than handed over changed.
pub fn inexact_integer(text: &str) -> Option<&str> {
    const MAX_SAFE: &str = "9007199254740991";
    let bytes = text.as_bytes();
    let (mut i, mut in_string) = (0, false);
    while let Some(&b) = bytes.get(i) {
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b != b'-' && !b.is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while bytes
            .get(i)
            .is_some_and(|c| c.is_ascii_digit() || b"-+.eE".contains(c))
        {
            i += 1;
        }
        let number = text.get(start..i).unwrap_or_default();
        let digits = number.trim_start_matches('-');
        let integer = digits.bytes().all(|c| c.is_ascii_digit());
        let too_big =
            digits.len() > MAX_SAFE.len() || (digits.len() == MAX_SAFE.len() && digits > MAX_SAFE);
        if integer && too_big {
            return Some(number);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn encodes_padded_standard_base64_of_utf8() {
        let value = json!({"k": "é?>"});
        let header = encode_header(&value, Document::PaymentPayload).unwrap();
        // Standard alphabet (+ and /) and padding; "é" encodes as UTF-8, not Latin-1.
        assert_eq!(header, "eyJrIjoiw6k/PiJ9");
        let odd = encode_header(&json!("ab"), Document::PaymentPayload).unwrap();
        assert_eq!(odd, "ImFiIg==");
        let back: Value = decode_header(&header, Document::PaymentPayload).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn decode_tolerates_missing_padding_and_outer_whitespace_only() {
        let doc = Document::PaymentRequired;
        assert_eq!(decode_header::<Value>("ImFiIg", doc).unwrap(), json!("ab"));
        assert_eq!(
            decode_header::<Value>(" \tImFiIg==\r\n", doc).unwrap(),
            json!("ab")
        );
        for bad in ["ImFi Ig==", "ImFiIg===", "ImFiIg=", "I", "ImFiIg-_", "!!!!"] {
            assert_eq!(
                decode_header::<Value>(bad, doc).map_err(|e| e.code()),
                Err("INVALID_HEADER"),
                "{bad}"
            );
        }
    }

    #[test]
    fn integers_past_2_53_are_found_outside_strings() {
        let safe = r#"{"a":9007199254740991,"b":-9007199254740991,"c":1.5e300,"d":"18446744073709551615"}"#;
        assert_eq!(inexact_integer(safe), None);
        assert_eq!(
            inexact_integer(r#"{"a":9007199254740992}"#),
            Some("9007199254740992")
        );
        assert_eq!(
            inexact_integer(r#"[1,-18446744073709551615]"#),
            Some("-18446744073709551615")
        );
        let escaped = r#"{"k\"":"\"18446744073709551615","n":100000000000000000000}"#;
        assert_eq!(inexact_integer(escaped), Some("100000000000000000000"));
    }

    #[test]
    fn size_limit_applies_before_decoding() {
        let huge = "A".repeat(MAX_HEADER_LEN + 1);
        let err = decode_header::<Value>(&huge, Document::PaymentRequired).unwrap_err();
        assert_eq!(err.code(), "HEADER_TOO_LARGE");
        let at_limit = "A".repeat(MAX_HEADER_LEN);
        assert_ne!(
            decode_header::<Value>(&at_limit, Document::PaymentRequired)
                .unwrap_err()
                .code(),
            "HEADER_TOO_LARGE"
        );
    }
}
