//! The page shell every viewer page shares (language, skip link, style sheet, language switcher) and the
//! small pages: not found (404), tombstone (410), errors and sign-in.

use super::format::{date_time, link, query_value, safe_href};
use super::i18n::t;
use super::{Lang, Tombstone};
use maud::{DOCTYPE, Markup, html};

/// A complete HTML document. `keep` are query parameters the language links must carry over (e.g. `next`).
pub(super) fn layout(lang: Lang, title: &str, keep: &[(&str, &str)], header: Markup, main: Markup) -> String {
    let carried: String = keep.iter().map(|(k, v)| format!("&{k}={}", query_value(v))).collect();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " – " (t(lang, "site")) }
                link rel="stylesheet" href="/assets/viewer.css";
            }
            body {
                a class="skip-link" href="#main" { (t(lang, "skip")) }
                header class="site" {
                    div class="bar" {
                        span class="brand" { (t(lang, "site")) }
                        nav class="langs" aria-label=(t(lang, "language")) {
                            ul {
                                @for (l, name) in [(Lang::En, "English"), (Lang::De, "Deutsch")] {
                                    li {
                                        a href=(format!("?lang={}{carried}", l.code())) hreflang=(l.code())
                                            lang=(l.code()) aria-current=[(l == lang).then_some("page")] { (name) }
                                    }
                                }
                            }
                        }
                    }
                    (header)
                }
                main id="main" tabindex="-1" { (main) }
                footer class="site" { p { (t(lang, "footer")) } }
            }
        }
    }
    .into_string()
}

/// 410 body: the battery's passport has ended; what it was, when and why it ended.
pub fn tombstone_page(ts: &Tombstone, lang: Lang) -> String {
    let tx = |k| t(lang, k);
    let main = html! {
        h1 { (tx("tomb.title")) }
        p class="lead" { (tx("tomb.lead")) }
        dl {
            dt { (tx("battery_id")) } dd { (ts.battery_id) }
            dt { (tx("model")) } dd { (ts.model_id) }
            dt { (tx("manufacturer")) } dd { (ts.manufacturer) }
            dt { (tx("passport_id")) } dd { code { (ts.passport_id) } }
            dt { (tx("tomb.ceased")) } dd { time datetime=(ts.ceased_at) { (date_time(lang, ts.ceased_at)) } }
            dt { (tx("tomb.reason")) } dd { (ts.reason) }
        }
        @if let Some(next) = ts.successor_id {
            p class="notice" { (tx("successor")) " " (link(&format!("/p/{next}"), next)) }
        }
    };
    layout(lang, tx("tomb.title"), &[], html! {}, main)
}

/// 404 body.
pub fn not_found_page(id: &str, lang: Lang) -> String {
    let main = html! {
        h1 { (t(lang, "nf.title")) }
        p { (t(lang, "nf.lead")) " " code { (id) } }
        p { (t(lang, "nf.hint")) }
    };
    layout(lang, t(lang, "nf.title"), &[], html! {}, main)
}

/// 400/429/500 bodies: the caller's title and detail, with the status for reference.
pub fn error_page(status: u16, title: &str, detail: &str, lang: Lang) -> String {
    let main = html! {
        h1 { (title) }
        @if !detail.is_empty() { p { (detail) } }
        p class="muted" { (t(lang, "err.status")) " " (status) }
    };
    layout(lang, title, &[], html! {}, main)
}

/// Sign-in form: POST `/login` with `key` (the access key), `next` and the `csrf` token.
pub fn login_page(lang: Lang, next: &str, csrf_token: &str, error: Option<&str>) -> String {
    let tx = |k| t(lang, k);
    let main = html! {
        h1 { (tx("login.title")) }
        p { (tx("login.lead")) }
        @if let Some(error) = error {
            p class="error" role="alert" id="login-error" { (error) }
        }
        form class="login" method="post" action="/login" {
            input type="hidden" name="next" value=(next);
            input type="hidden" name="csrf" value=(csrf_token);
            label for="key" { (tx("login.key")) }
            input type="password" id="key" name="key" autocomplete="off" required
                aria-describedby=[error.map(|_| "login-error")];
            button type="submit" { (tx("login.submit")) }
        }
        @if safe_href(next) && next.starts_with('/') {
            p { a href=(next) { (tx("login.back")) } }
        }
    };
    layout(lang, tx("login.title"), &[("next", next)], html! {}, main)
}
