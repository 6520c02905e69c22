//! The HTML viewer: server-rendered pages for people who scan a battery's QR code (and for workshops,
//! recyclers and authorities after signing in). Rendering only; routes, content negotiation and sessions
//! live elsewhere. Pages use no JavaScript, no inline styles and no external resources, so they work under
//! `Content-Security-Policy: default-src 'self'`; maud escapes every value.

pub mod analytics;
mod charts;
mod format;
mod i18n;
mod origin;
mod pages;
mod passport_page;
mod predictions;
pub mod quality;
mod restricted;
mod sections;
pub mod trace;

pub use pages::{error_page, login_page, not_found_page, tombstone_page};
pub use passport_page::passport_page;
pub use sections::{RECYCLED_CONTENT_TARGETS, RecycledContentTarget};

use passport::access::Audience;

/// The style sheet every page links as `/assets/viewer.css`.
pub const VIEWER_CSS: &str = include_str!("../../assets/viewer.css");

/// Page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    De,
}

impl Lang {
    /// `?lang=` wins, then Accept-Language (q-values honoured, `de-DE` → De), default En.
    pub fn negotiate(query_lang: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(lang) = query_lang.and_then(Lang::from_tag) {
            return lang;
        }
        let mut best: Option<(f32, Lang)> = None;
        for range in accept_language.unwrap_or_default().split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "*" { Some(Lang::En) } else { Lang::from_tag(tag) };
            // Strictly greater: on equal q the earlier range wins, as the header lists preferences in order.
            if let Some(lang) = lang
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    /// `"en"` / `"de"`: the `lang` attribute and the `?lang=` value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// A BCP 47 tag's primary subtag, if it names a language we have.
    fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("de") {
            Some(Lang::De)
        } else {
            None
        }
    }
}

/// What the passport page needs besides the (already audience-filtered) document.
#[derive(Debug, Clone, Copy)]
pub struct PageContext<'a> {
    pub lang: Lang,
    /// Who is reading; the caller has already applied `passport::access::visible` for it.
    pub audience: Audience,
    pub passport_id: &'a str,
    /// The battery model (the document itself does not carry it).
    pub model_id: Option<&'a str>,
    pub version: i64,
    /// Actor name when signed in: shows "signed in as …" and a sign-out form posting to `/logout`.
    pub signed_in_as: Option<&'a str>,
    /// Version history as this audience may see it (`service::history` leaves out who/why/hashes for
    /// readers who are not auditors); rendered only when non-empty (the caller passes none for the public).
    pub history: &'a [crate::service::HistoryEntry],
    /// When set, a notice links to the successor passport at `/p/{id}`.
    pub successor_id: Option<&'a str>,
    /// Path of the QR code image, e.g. `/p/{id}/qr.svg`.
    pub qr_svg_path: &'a str,
    /// State of health (%) over time from the passport's readings, for readers who may see dynamic data.
    pub health_curve: &'a [(i64, f64)],
    /// The roll-up of the battery's pack with its provenance (lots, suppliers, factors), for readers who may see
    /// the genealogy; `None` for everyone else or when no traced pack is linked.
    pub origin: Option<&'a serde_json::Value>,
    /// The passport's stored predictions and estimates, newest first (empty for the public).
    pub predictions: &'a [store::AnalyticsResult],
}

/// What is left of a passport whose battery has ceased to exist (the body of a 410).
#[derive(Debug, Clone, Copy)]
pub struct Tombstone<'a> {
    pub passport_id: &'a str,
    pub battery_id: &'a str,
    pub model_id: &'a str,
    pub manufacturer: &'a str,
    /// RFC 3339.
    pub ceased_at: &'a str,
    pub reason: &'a str,
    pub successor_id: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::Lang::{self, De, En};

    #[test]
    fn negotiation() {
        let n = Lang::negotiate;
        assert_eq!(n(None, None), En);
        assert_eq!(n(Some("de"), Some("en")), De, "?lang= wins");
        assert_eq!(n(Some("EN"), Some("de")), En);
        assert_eq!(n(Some("fr"), Some("de-DE,de;q=0.9")), De, "an unknown ?lang= falls through");
        assert_eq!(n(None, Some("de-DE")), De);
        assert_eq!(n(None, Some("de_AT")), De);
        assert_eq!(n(None, Some("fr-FR, de;q=0.8, en;q=0.5")), De);
        assert_eq!(n(None, Some("en;q=0.4, de;q=0.6")), De, "q-values, not order");
        assert_eq!(n(None, Some("de;q=0, en")), En, "q=0 means not acceptable");
        assert_eq!(n(None, Some("de;q=0")), En);
        assert_eq!(n(None, Some("en-GB,de")), En, "equal q: the first wins");
        assert_eq!(n(None, Some("fr, *;q=0.1")), En);
        assert_eq!(n(None, Some("garbage;;q=x,de ; q=0.7")), De);
        assert_eq!(n(Some(""), Some("")), En);
        assert_eq!((En.code(), De.code()), ("en", "de"));
    }
}
