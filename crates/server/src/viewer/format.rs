//! Formatting shared by the pages: localised numbers and dates, safe links, and the small markup pieces
//! (label/value rows, sections) every section is built from, so a missing value simply yields no row.

use super::Lang;
use super::i18n::{t, term};
use maud::{Markup, Render, html};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `x` as its shortest round-trip form, grouped and with the language's decimal separator.
pub fn num(lang: Lang, x: f64) -> String {
    localise(lang, &x.to_string())
}

/// `x` rounded to at most `decimals` places (trailing zeros dropped), localised.
pub fn num_dp(lang: Lang, x: f64, decimals: usize) -> String {
    let fixed = format!("{x:.decimals$}");
    let trimmed = if fixed.contains('.') { fixed.trim_end_matches('0').trim_end_matches('.') } else { &fixed };
    localise(lang, if trimmed == "-0" { "0" } else { trimmed })
}

/// A number with its unit, joined by a no-break space.
pub fn qty(lang: Lang, x: f64, unit: &str) -> String {
    format!("{}\u{a0}{unit}", num(lang, x))
}

/// Watts, as kW from 1 kW on.
pub fn power(lang: Lang, watts: f64) -> String {
    if watts.abs() >= 1000.0 { format!("{}\u{a0}kW", num_dp(lang, watts / 1000.0, 3)) } else { qty(lang, watts, "W") }
}

/// A power capability object (`powerCapabilityAt` W at `atSoC` %), e.g. "245 kW at 80 % state of charge".
pub fn power_at_soc(lang: Lang, v: &Value) -> Option<String> {
    let (watts, soc) = (v.get("powerCapabilityAt")?.as_f64()?, v.get("atSoC")?.as_f64()?);
    Some(format!("{} {} {} {}", power(lang, watts), t(lang, "at"), qty(lang, soc, "%"), t(lang, "soc.words")))
}

/// Groups thousands (from five digits on) and swaps separators for German.
fn localise(lang: Lang, plain: &str) -> String {
    if plain.contains(['e', 'E', 'i', 'N']) {
        return plain.to_string(); // exponent, inf, NaN: leave as is
    }
    let (sign, digits) = plain.strip_prefix('-').map_or(("", plain), |d| ("-", d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let (group, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::De => ('.', ','),
    };
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if int.len() > 4 && i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(decimal);
        out.push_str(frac);
    }
    out
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

/// An RFC 3339 timestamp (or `YYYY-MM-DD`) as a readable date; anything else unchanged.
pub fn date(lang: Lang, s: &str) -> String {
    match parse_date(s) {
        Some(d) => day(lang, d),
        None => s.to_string(),
    }
}

/// An RFC 3339 timestamp as a readable date and UTC time; anything else unchanged.
pub fn date_time(lang: Lang, s: &str) -> String {
    match OffsetDateTime::parse(s, &Rfc3339) {
        Ok(d) => {
            let d = d.to_offset(time::UtcOffset::UTC);
            format!("{}, {:02}:{:02} UTC", day(lang, d), d.hour(), d.minute())
        }
        Err(_) => date(lang, s),
    }
}

fn parse_date(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, format).ok().map(|d| d.midnight().assume_utc())
    })
}

fn day(lang: Lang, d: OffsetDateTime) -> String {
    let month = usize::from(u8::from(d.month())) - 1;
    match lang {
        Lang::En => format!("{} {} {}", d.day(), MONTHS_EN[month], d.year()),
        Lang::De => format!("{}. {} {}", d.day(), MONTHS_DE[month], d.year()),
    }
}

/// Only absolute http(s) links and same-site paths become `href`s (never `javascript:` and the like).
pub fn safe_href(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    // `//host` and `/\host` are other sites to a browser, not paths.
    let path = url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\");
    lower.starts_with("https://") || lower.starts_with("http://") || path
}

/// A link when `url` is safe to follow, plain text otherwise.
pub fn link(url: &str, text: &str) -> Markup {
    html! { @if safe_href(url) { a href=(url) { (text) } } @else { (text) } }
}

/// Percent-encodes a query parameter value (RFC 3986 unreserved characters and `/` and `:` stay).
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The text of a value: strings as they are, numbers localised, multi-language objects in `lang`
/// (else English, else the first), arrays joined; `None` for nulls, empty strings and other objects.
pub fn text(lang: Lang, v: Option<&Value>) -> Option<String> {
    let s = match v? {
        Value::String(s) => s.clone(),
        Value::Number(n) => num(lang, n.as_f64()?),
        Value::Bool(b) => t(lang, if *b { "yes" } else { "no" }).to_string(),
        Value::Object(m) => {
            let pick = m.get(lang.code()).or_else(|| m.get("en")).or_else(|| m.values().next())?;
            return text(lang, Some(pick));
        }
        Value::Array(items) => items.iter().filter_map(|i| text(lang, Some(i))).collect::<Vec<_>>().join("; "),
        Value::Null => return None,
    };
    (!s.trim().is_empty()).then_some(s)
}

/// A number, if `v` is one.
pub fn as_num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

/// A non-empty string, if `v` is one.
pub fn as_str(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The elements of `v` if it is an array, else none.
pub fn items(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

/// A string value as a link when it is a safe URL, as text otherwise.
pub fn url(v: Option<&Value>) -> Option<Markup> {
    as_str(v).map(|u| link(u, u))
}

/// Per-component values (`batteryComponent` plus a number under `key`) as a list, e.g. "Cell: 0.0011 Ω".
pub fn per_component(lang: Lang, v: Option<&Value>, key: &str, unit: &str) -> Option<Markup> {
    let lines: Vec<String> = items(v)
        .filter_map(|c| {
            let component = term(lang, "comp", as_str(c.get("batteryComponent"))?);
            Some(format!("{component}: {}", qty(lang, c.get(key)?.as_f64()?, unit)))
        })
        .collect();
    (!lines.is_empty()).then(|| html! { ul class="plain" { @for l in &lines { li { (l) } } } })
}

/// A postal address object as one line.
pub fn address(v: Option<&Value>) -> Option<String> {
    let v = v?;
    let part = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let line = [part("streetAddress"), part("postalCode"), part("addressCountry")].into_iter().flatten();
    let line = line.collect::<Vec<_>>().join(", ");
    (!line.is_empty()).then_some(line)
}

/// Label/value pairs of one `<dl>`; values that are absent add nothing.
#[derive(Default)]
pub struct Rows(Vec<(String, Markup)>);

impl Rows {
    pub fn add(&mut self, label: &str, value: Option<Markup>) -> &mut Self {
        if let Some(value) = value {
            self.0.push((label.to_string(), value));
        }
        self
    }

    /// Adds plain text.
    pub fn text(&mut self, label: &str, value: Option<String>) -> &mut Self {
        self.add(label, value.map(|v| html! { (v) }))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn render(&self) -> Markup {
        html! { @if !self.0.is_empty() { dl { @for (label, value) in &self.0 { dt { (label) } dd { (value) } } } } }
    }
}

/// A page section with a stable `id` (for links and tests) and its `<h2>`.
pub fn section(id: &str, heading: &str, body: impl Render) -> Markup {
    html! {
        section id=(id) aria-labelledby=(format!("{id}-h")) {
            h2 id=(format!("{id}-h")) { (heading) }
            (body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_dates() {
        assert_eq!(num(Lang::En, 72.4), "72.4");
        assert_eq!(num(Lang::De, 72.4), "72,4");
        assert_eq!(num(Lang::De, 250_000.0), "250.000");
        assert_eq!(num(Lang::En, 2000.0), "2000");
        assert_eq!(num(Lang::En, -12_345.5), "-12,345.5");
        assert_eq!(num(Lang::De, 0.0011), "0,0011");
        assert_eq!(num_dp(Lang::De, 49.232, 1), "49,2");
        assert_eq!(num_dp(Lang::En, 3.0, 2), "3");
        assert_eq!(num_dp(Lang::En, -0.01, 1), "0");
        assert_eq!(date(Lang::En, "2025-03-07T10:15:00Z"), "7 March 2025");
        assert_eq!(date(Lang::De, "2025-03-07T10:15:00+01:00"), "7. März 2025");
        assert_eq!(date_time(Lang::De, "2025-03-07T10:15:00+01:00"), "7. März 2025, 09:15 UTC");
        assert_eq!(date(Lang::En, "2025-12-31"), "31 December 2025");
        assert_eq!(date(Lang::En, "soon"), "soon");
        assert!(!safe_href("javascript:alert(1)") && !safe_href(" JavaScript:x") && safe_href("/p/x"));
        assert!(!safe_href("//evil.example") && !safe_href("/\\evil.example") && safe_href("HTTPS://x.example"));
        assert_eq!(query_value("/p/urn:x?a=b&c"), "/p/urn:x%3Fa%3Db%26c");
    }
}
