//! A passport's predictions: the latest cycle-life prediction (the expected-lifetime suggestion) and the latest
//! state-of-health estimate, each with its interval and the model that made it. For the operator, authorities and
//! persons with a legitimate interest; the caller passes none for the public.

use super::PageContext;
use super::format::{Rows, num_dp};
use super::i18n::t;
use maud::{Markup, html};
use serde_json::Value;

pub fn predictions(_doc: &Value, ctx: &PageContext) -> Option<Markup> {
    let lang = ctx.lang;
    // Newest first: the first of each kind is the latest.
    let latest = |kind: &str| ctx.predictions.iter().find(|r| r.kind == kind);
    let life = latest("cycle-life");
    let health = latest("state-of-health");
    if life.is_none() && health.is_none() {
        return None;
    }
    let number = |r: &store::AnalyticsResult, key: &str| r.output.get(key).and_then(Value::as_f64);
    let model = |r: &store::AnalyticsResult| format!("{}@{}, {}", r.model_name, r.model_version, r.created_at.date());
    let mut rows = Rows::default();
    if let Some(r) = life {
        let text = number(r, "cycleLife").map(|c| {
            let interval = number(r, "lower").zip(number(r, "upper")).map_or(String::new(), |(l, u)| {
                format!(
                    " ({} – {}, {} %)",
                    num_dp(lang, l, 0),
                    num_dp(lang, u, 0),
                    num_dp(lang, 100.0 * number(r, "coverage").unwrap_or(0.0), 0)
                )
            });
            format!("{} {}{interval}", num_dp(lang, c, 0), t(lang, "predictions.cycles"))
        });
        rows.text(t(lang, "predictions.cycle_life"), text).text(t(lang, "predictions.model"), Some(model(r)));
    }
    if let Some(r) = health {
        rows.text(t(lang, "predictions.soh"), number(r, "soh").map(|s| format!("{} %", num_dp(lang, 100.0 * s, 1))));
        let rul = number(r, "rul").map(|c| {
            let interval = number(r, "rulLower")
                .zip(number(r, "rulUpper"))
                .map_or(String::new(), |(l, u)| format!(" ({} – {})", num_dp(lang, l, 0), num_dp(lang, u, 0)));
            format!("{}{interval}", num_dp(lang, c, 0))
        });
        rows.text(t(lang, "predictions.rul"), rul).text(t(lang, "predictions.model"), Some(model(r)));
    }
    Some(html! { p { (t(lang, "predictions.note")) } (rows.render()) })
}
