//! RFC 3339 timestamps (`2025-12-28T12:00:00Z`), as the seed dialects send expiry
//! times, to Unix seconds. Strict: a date, `T`, a time, optional fraction, and `Z`
//! or an offset (`+hh:mm`, or ISO 8601's `+hhmm`); a time with no offset is refused,
//! since it may be local or UTC. No clock here: callers compare with their own "now".

use crate::error::{Error, Result};

fn invalid(reason: &'static str) -> Error {
    Error::InvalidTimestamp { reason }
}

fn digits(text: &str, len: usize) -> Result<(i64, &str)> {
    let head = text.get(..len).ok_or(invalid("too short"))?;
    if !head.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("expected digits"));
    }
    let value = head.parse().map_err(|_| invalid("expected digits"))?;
    Ok((value, text.get(len..).unwrap_or_default()))
}

fn expect<'a>(text: &'a str, what: &[u8]) -> Result<(u8, &'a str)> {
    let first = *text.as_bytes().first().ok_or(invalid("too short"))?;
    if !what.contains(&first) {
        return Err(invalid("unexpected separator"));
    }
    Ok((first, text.get(1..).unwrap_or_default()))
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses an RFC 3339 timestamp to Unix seconds (a fraction is truncated).
///
/// # Errors
/// [`Error::InvalidTimestamp`] for anything else.
pub fn parse_rfc3339(text: &str) -> Result<i64> {
    let text = text.trim();
    if text.len() > 64 {
        return Err(invalid("too long"));
    }
    let (year, rest) = digits(text, 4)?;
    let (_, rest) = expect(rest, b"-")?;
    let (month, rest) = digits(rest, 2)?;
    let (_, rest) = expect(rest, b"-")?;
    let (day, rest) = digits(rest, 2)?;
    let (_, rest) = expect(rest, b"Tt ")?;
    let (hour, rest) = digits(rest, 2)?;
    let (_, rest) = expect(rest, b":")?;
    let (minute, rest) = digits(rest, 2)?;
    let (_, rest) = expect(rest, b":")?;
    let (second, mut rest) = digits(rest, 2)?;
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return Err(invalid("empty fraction"));
        }
        rest = fraction.get(len..).unwrap_or_default();
    }
    if rest.is_empty() {
        // Local time or UTC? JavaScript's Date.parse says local, most servers mean UTC.
        return Err(invalid("no UTC offset: Z or +hh:mm must follow the time"));
    }
    let offset = match expect(rest, b"Zz+-")? {
        (b'Z' | b'z', "") => 0,
        (sign @ (b'+' | b'-'), tz) => {
            let (h, tz) = digits(tz, 2)?;
            // ISO 8601's basic form (+hhmm) too.
            let tz = tz.strip_prefix(':').unwrap_or(tz);
            let (m, tz) = digits(tz, 2)?;
            if !tz.is_empty() || h > 23 || m > 59 {
                return Err(invalid("bad offset"));
            }
            let minutes = h * 60 + m;
            if sign == b'+' { minutes } else { -minutes }
        }
        _ => return Err(invalid("trailing characters")),
    };
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour <= 23
        && minute <= 59
        && second <= 60;
    if !valid {
        return Err(invalid("date or time out of range"));
    }
    let days = days_from_civil(year, month, day);
    Ok(days * 86_400 + hour * 3_600 + minute * 60 + second.min(59) - offset * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_date_parse_gives() {
        // Expected values: JavaScript's Date.parse(text) / 1000 in Node 20.
        let cases = [
            ("1970-01-01T00:00:00Z", 0),
            ("2025-12-28T12:00:00Z", 1_766_923_200),
            ("2026-11-21T09:30:15.123Z", 1_795_253_415),
            ("2024-02-29T23:59:59+01:00", 1_709_247_599),
            ("2000-03-01T00:00:00-05:30", 951_888_600),
            ("1969-12-31T23:59:59Z", -1),
            ("9999-12-31T23:59:59Z", 253_402_300_799),
            // ISO 8601's basic offset form.
            ("2024-02-29T23:59:59+0100", 1_709_247_599),
            ("2000-03-01T00:00:00-0530", 951_888_600),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_rfc3339(text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn refuses_everything_else() {
        for text in [
            "",
            "2025-12-28",
            "2025-12-28T12:00:00",
            "2025-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2025-12-28T24:00:00Z",
            "2025-12-28T12:00:00+24:00",
            "2025-12-28T12:00:00Zjunk",
            "2025-12-28T12:00:00.Z",
            "2025-12-28T12:00:00+01:",
            "2025-12-28T12:00:00+1:00",
            "2025-12-28T12:00:00+010",
            "+2025-12-28T12:00:00Z",
            "２025-12-28T12:00:00Z",
            "1766923200",
        ] {
            assert_eq!(
                parse_rfc3339(text).unwrap_err().code(),
                "INVALID_TIMESTAMP",
                "{text}"
            );
        }
        // A time with no offset (local or UTC?) says what is missing.
        let error = parse_rfc3339("2025-12-28T12:00:00").unwrap_err();
        assert!(error.to_string().contains("no UTC offset"), "{error}");
    }
}
