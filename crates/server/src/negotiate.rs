//! Content negotiation for the public resolver (RFC 9110 §12.5.1): the same passport as a page for people,
//! JSON for programs, and JSON-LD for linked-data consumers.

/// A representation the resolver can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Html,
    Json,
    JsonLd,
}

impl Representation {
    pub fn content_type(self) -> &'static str {
        match self {
            Representation::Html => "text/html; charset=utf-8",
            Representation::Json => "application/json",
            Representation::JsonLd => "application/ld+json",
        }
    }

    /// Short tag for ETags, so each representation is cached on its own.
    pub fn tag(self) -> &'static str {
        match self {
            Representation::Html => "html",
            Representation::Json => "json",
            Representation::JsonLd => "jsonld",
        }
    }
}

/// Offered types, in the server's order of preference on ties (programs that send no Accept get JSON).
const OFFERS: [(&str, Representation); 3] = [
    ("application/json", Representation::Json),
    ("text/html", Representation::Html),
    ("application/ld+json", Representation::JsonLd),
];

/// The best representation for an `Accept` header; `None` when nothing offered is acceptable (406).
pub fn representation(accept: Option<&str>) -> Option<Representation> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Representation::Json);
    };
    let ranges: Vec<(&str, f32)> = accept.split(',').filter_map(media_range).collect();
    let mut best: Option<(f32, Representation)> = None;
    for (offer, representation) in OFFERS {
        // The most specific matching range decides an offer's quality.
        let quality = ranges
            .iter()
            .filter_map(|(range, q)| specificity(range, offer).map(|s| (s, *q)))
            .max_by_key(|(s, _)| *s)
            .map_or(0.0, |(_, q)| q);
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, representation));
        }
    }
    best.map(|(_, r)| r)
}

/// `type/subtype;q=0.8` → (`type/subtype`, 0.8).
fn media_range(part: &str) -> Option<(&str, f32)> {
    let mut pieces = part.split(';').map(str::trim);
    let range = pieces.next().filter(|r| !r.is_empty())?;
    let q = pieces
        .filter_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
        .find_map(|q| q.parse::<f32>().ok())
        .unwrap_or(1.0);
    Some((range, q.clamp(0.0, 1.0)))
}

/// How specifically `range` matches `offer`: 3 exact, 2 `type/*`, 1 `*/*`, `None` no match.
fn specificity(range: &str, offer: &str) -> Option<u8> {
    let range = range.to_ascii_lowercase();
    if range == offer {
        return Some(3);
    }
    let (kind, _) = offer.split_once('/')?;
    match range.split_once('/') {
        Some((k, "*")) if k == kind => Some(2),
        Some(("*", "*")) => Some(1),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Representation::*;
    use super::*;

    #[test]
    fn browsers_get_html_programs_json_linked_data_json_ld() {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(representation(Some(firefox)), Some(Html));
        assert_eq!(representation(Some("application/json")), Some(Json));
        assert_eq!(representation(Some("application/ld+json")), Some(JsonLd));
        assert_eq!(representation(None), Some(Json));
        assert_eq!(representation(Some("*/*")), Some(Json));
        assert_eq!(representation(Some("text/*")), Some(Html));
    }

    #[test]
    fn quality_values_decide_and_zero_refuses() {
        assert_eq!(representation(Some("application/json;q=0.5, text/html")), Some(Html));
        assert_eq!(representation(Some("application/ld+json, application/json;q=0.9")), Some(JsonLd));
        assert_eq!(representation(Some("text/html;q=0, */*")), Some(Json));
        assert_eq!(representation(Some("image/png")), None);
        assert_eq!(representation(Some("application/json;q=0")), None);
    }
}
