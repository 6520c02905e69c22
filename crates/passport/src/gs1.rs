//! GS1 Digital Link URIs (standard 1.2/1.4, uncompressed form), as a battery's QR code may carry them:
//! `/01/{gtin}[/10/{lot}][/21/{serial}]` plus `?linkType=gs1:...`, and the GS1 element string
//! `(01){gtin}(21){serial}` voltpass stores as `productIdentifier`. Strict, because the resolver answers a bad
//! link with 400 and the error's message as the reason; pure, so it is tested without HTTP.

use std::fmt::Write as _;
use thiserror::Error;

/// Longest path, query or element string accepted, in bytes. A QR code carries far less.
pub const MAX_LEN: usize = 512;
/// Longest lot (AI 10) or serial (AI 21): `X..20` in the GS1 General Specifications.
pub const MAX_VALUE_LEN: usize = 20;

/// What a GS1 Digital Link identifies: a trade item (GTIN), optionally a batch and one instance of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DigitalLink {
    /// 14 digits: GTIN-8/12/13 are zero-padded on the left.
    pub gtin: String,
    pub serial: Option<String>,
    pub lot: Option<String>,
    /// The `linkType` query parameter (`gs1:pip`, `gs1:sustainabilityInfo`, `all`, ...), percent-decoded.
    pub link_type: Option<String>,
}

/// Why a link or element string was refused; each message is meant as an HTTP 400 reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Gs1Error {
    #[error("the {what} is {len} bytes long; at most {MAX_LEN} are accepted")]
    TooLong { what: &'static str, len: usize },
    #[error("the {what} contains non-ASCII characters; they must be percent-encoded")]
    NotAscii { what: &'static str },
    #[error("a GS1 Digital Link path starts with /01/ followed by a GTIN")]
    NotDigitalLink,
    #[error("the path has an empty segment (a doubled or trailing '/')")]
    EmptySegment,
    #[error("'.' and '..' path segments are not allowed")]
    Traversal,
    #[error("invalid percent-encoding in '{text}': '%' must be followed by two hexadecimal digits")]
    BadPercent { text: String },
    #[error("character '{ch}' must be percent-encoded in a GS1 Digital Link path")]
    Unencoded { ch: char },
    #[error("GTIN '{gtin}' must be 8, 12, 13 or 14 digits")]
    GtinFormat { gtin: String },
    #[error("GTIN {gtin} has check digit {found}, expected {expected}")]
    CheckDigit { gtin: String, found: u8, expected: u8 },
    #[error("unknown or unsupported application identifier '{ai}': after 01 (GTIN) only 10 (lot) and 21 (serial)")]
    UnknownAi { ai: String },
    #[error("application identifier {ai} appears more than once")]
    DuplicateAi { ai: &'static str },
    #[error("application identifier 10 (lot) must come before 21 (serial)")]
    OutOfOrder,
    #[error("application identifier {ai} has no value")]
    MissingValue { ai: &'static str },
    #[error("the {field} is {len} characters long; GS1 allows 1 to {MAX_VALUE_LEN}")]
    ValueLength { field: &'static str, len: usize },
    #[error("the {field} contains {shown}, which is not in the GS1 character set 82")]
    InvalidCharacter { field: &'static str, shown: String },
    #[error("linkType must be a link type such as gs1:pip or all, in printable ASCII")]
    LinkType,
    #[error("linkType is given more than once")]
    DuplicateLinkType,
    #[error("not a GS1 element string: expected (01) and 14 digits, then optionally (10) lot and (21) serial")]
    ElementString,
}

/// The GS1 check digit of `data` (the digits before it, any length): weights 3, 1, 3, ... from the right.
/// `None` unless `data` is all ASCII digits.
pub fn gtin_check_digit(data: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, b) in data.bytes().rev().enumerate() {
        let d = u32::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
        sum += if i % 2 == 0 { 3 * d } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// GS1 AI encodable character set 82 (General Specifications, figure 7.11-1).
pub fn is_cset82(b: u8) -> bool {
    matches!(b, b'!' | b'"' | b'%'..=b'?' | b'A'..=b'Z' | b'_' | b'a'..=b'z')
}

/// The two qualifiers after AI 01, in canonical order.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Qualifier {
    Lot,
    Serial,
}

impl Qualifier {
    fn ai(self) -> &'static str {
        match self {
            Qualifier::Lot => "10",
            Qualifier::Serial => "21",
        }
    }
    fn field(self) -> &'static str {
        match self {
            Qualifier::Lot => "lot (AI 10)",
            Qualifier::Serial => "serial (AI 21)",
        }
    }
}

/// Parses the path (from `/01/`) and query (without `?`) of a GS1 Digital Link URI.
pub fn parse_path(path: &str, query: Option<&str>) -> Result<DigitalLink, Gs1Error> {
    check_text("path", path)?;
    let segments: Vec<&str> = path.strip_prefix("/01/").ok_or(Gs1Error::NotDigitalLink)?.split('/').collect();
    for segment in &segments {
        check_segment(segment)?;
    }
    let mut link = DigitalLink { gtin: gtin(&decode(segments[0])?)?, serial: None, lot: None, link_type: None };
    let mut last = None;
    for pair in segments[1..].chunks(2) {
        let qualifier = match pair[0] {
            "10" => Qualifier::Lot,
            "21" => Qualifier::Serial,
            "01" => return Err(Gs1Error::DuplicateAi { ai: "01" }),
            other => return Err(Gs1Error::UnknownAi { ai: other.to_string() }),
        };
        match last {
            Some(l) if l == qualifier => return Err(Gs1Error::DuplicateAi { ai: qualifier.ai() }),
            Some(l) if l > qualifier => return Err(Gs1Error::OutOfOrder),
            _ => last = Some(qualifier),
        }
        let raw = pair.get(1).ok_or(Gs1Error::MissingValue { ai: qualifier.ai() })?;
        let value = Some(value(qualifier.field(), &decode(raw)?)?);
        match qualifier {
            Qualifier::Lot => link.lot = value,
            Qualifier::Serial => link.serial = value,
        }
    }
    link.link_type = query.map(link_type).transpose()?.flatten();
    Ok(link)
}

/// Parses `(01){14 digits}[(10){lot}][(21){serial}]`. The serial runs to the end; a lot runs to the first
/// `(21)`, so a lot containing `(21)` does not round-trip (the element string itself is ambiguous then).
pub fn parse_element_string(s: &str) -> Result<DigitalLink, Gs1Error> {
    check_text("element string", s)?;
    let rest = s.strip_prefix("(01)").ok_or(Gs1Error::ElementString)?;
    let (digits, mut rest) = rest.split_at_checked(14).ok_or(Gs1Error::ElementString)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Gs1Error::ElementString);
    }
    let mut link = DigitalLink { gtin: gtin(digits.as_bytes())?, serial: None, lot: None, link_type: None };
    if let Some(after) = rest.strip_prefix("(10)") {
        let end = after.find("(21)").unwrap_or(after.len());
        link.lot = Some(value(Qualifier::Lot.field(), &after.as_bytes()[..end])?);
        rest = &after[end..];
    }
    if let Some(serial) = rest.strip_prefix("(21)") {
        link.serial = Some(value(Qualifier::Serial.field(), serial.as_bytes())?);
        rest = "";
    }
    if !rest.is_empty() {
        return Err(Gs1Error::ElementString);
    }
    Ok(link)
}

impl DigitalLink {
    /// `(01){gtin}[(10){lot}][(21){serial}]`, human-readable, AIs in canonical order.
    pub fn element_string(&self) -> String {
        let mut s = format!("(01){}", self.gtin);
        for (ai, value) in [("10", &self.lot), ("21", &self.serial)] {
            if let Some(v) = value {
                let _ = write!(s, "({ai}){v}");
            }
        }
        s
    }

    /// The stored product identifier `(01){gtin}(21){serial}` (no lot), when the link names one battery.
    pub fn product_identifier(&self) -> Option<String> {
        self.serial.as_ref().map(|serial| format!("(01){}(21){serial}", self.gtin))
    }

    /// `/01/{gtin}[/10/{lot}][/21/{serial}]`, values percent-encoded (the query is not included).
    pub fn digital_link_path(&self) -> String {
        let mut s = format!("/01/{}", self.gtin);
        for (ai, value) in [("10", &self.lot), ("21", &self.serial)] {
            if let Some(v) = value {
                let _ = write!(s, "/{ai}/{}", encode(v));
            }
        }
        s
    }
}

fn check_text(what: &'static str, s: &str) -> Result<(), Gs1Error> {
    if s.len() > MAX_LEN {
        return Err(Gs1Error::TooLong { what, len: s.len() });
    }
    if !s.is_ascii() {
        return Err(Gs1Error::NotAscii { what });
    }
    Ok(())
}

/// A raw path segment: non-empty, no dot segment (normalisers would collapse it), only RFC 3986 `pchar`.
fn check_segment(segment: &str) -> Result<(), Gs1Error> {
    match segment {
        "" => Err(Gs1Error::EmptySegment),
        "." | ".." => Err(Gs1Error::Traversal),
        _ => match segment.bytes().find(|b| !(b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@%".contains(b))) {
            Some(b) => Err(Gs1Error::Unencoded { ch: char::from(b) }),
            None => Ok(()),
        },
    }
}

fn decode(text: &str) -> Result<Vec<u8>, Gs1Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte =
                hex.filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit())).and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(byte.ok_or_else(|| Gs1Error::BadPercent { text: text.to_string() })?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

/// Everything but `A-Z a-z 0-9 - . _` is percent-encoded; a value of only dots is encoded whole, so it
/// never forms a `.`/`..` segment.
fn encode(value: &str) -> String {
    let all_dots = value.bytes().all(|b| b == b'.');
    let mut s = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if (b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') && !all_dots {
            s.push(char::from(b));
        } else {
            let _ = write!(s, "%{b:02X}");
        }
    }
    s
}

fn gtin(raw: &[u8]) -> Result<String, Gs1Error> {
    let given = String::from_utf8_lossy(raw).into_owned();
    if !matches!(raw.len(), 8 | 12 | 13 | 14) || !raw.iter().all(u8::is_ascii_digit) {
        return Err(Gs1Error::GtinFormat { gtin: given });
    }
    let padded = format!("{given:0>14}");
    let expected = gtin_check_digit(&padded[..13]).ok_or(Gs1Error::GtinFormat { gtin: given.clone() })?;
    let found = raw[raw.len() - 1] - b'0';
    if found != expected {
        return Err(Gs1Error::CheckDigit { gtin: given, found, expected });
    }
    Ok(padded)
}

fn value(field: &'static str, raw: &[u8]) -> Result<String, Gs1Error> {
    if raw.is_empty() || raw.len() > MAX_VALUE_LEN {
        return Err(Gs1Error::ValueLength { field, len: raw.len() });
    }
    if let Some(&b) = raw.iter().find(|b| !is_cset82(**b)) {
        let shown = if b.is_ascii_graphic() { format!("'{}'", char::from(b)) } else { format!("byte 0x{b:02X}") };
        return Err(Gs1Error::InvalidCharacter { field, shown });
    }
    Ok(raw.iter().map(|&b| char::from(b)).collect())
}

/// The `linkType` parameter of a query string; other parameters (and GS1 data attributes) are ignored.
fn link_type(query: &str) -> Result<Option<String>, Gs1Error> {
    check_text("query", query)?;
    let mut found = None;
    for pair in query.trim_start_matches('?').split('&') {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "linkType" {
            continue;
        }
        if found.is_some() {
            return Err(Gs1Error::DuplicateLinkType);
        }
        let v = decode(raw)?;
        if v.is_empty() || !v.iter().all(u8::is_ascii_graphic) {
            return Err(Gs1Error::LinkType);
        }
        found = Some(v.iter().map(|&b| char::from(b)).collect());
    }
    Ok(found)
}
