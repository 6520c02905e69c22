//! Dynamic data (Annex VII): time-stamped readings per passport, and the ones refused with their reason.

use serde::{Deserialize, Serialize};

/// One measured value of a battery. `(passport_id, metric, at_ms, source)` identifies it: the same reading
/// sent twice (an MQTT redelivery, a retried request) is a duplicate and stored once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reading {
    pub passport_id: String,
    pub metric: String,
    /// Measurement time, Unix milliseconds (UTC).
    pub at_ms: i64,
    /// Who measured: a BMS serial, a test bench, a workshop.
    pub source: String,
    pub value: f64,
    /// Free text for events (e.g. what an accident was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub actor_id: String,
}

/// What a batch of readings did to the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadingsWritten {
    pub inserted: u64,
    pub duplicates: u64,
}

/// A reading refused before storage, kept with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedReading {
    pub passport_id: Option<String>,
    /// `rest` or `mqtt:<topic>`.
    pub channel: String,
    /// The offending input as received (truncated by the caller if huge).
    pub payload: String,
    pub reason: String,
    pub actor_id: String,
}

/// A time window of one metric, for history queries.
#[derive(Debug, Clone)]
pub struct ReadingQuery {
    pub passport_id: String,
    pub metric: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub limit: i64,
}

/// Aggregated readings of one time bucket (history downsampled for charts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadingBucket {
    pub from_ms: i64,
    pub to_ms: i64,
    pub count: i64,
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    /// Time of the last reading in the bucket.
    pub last_ms: i64,
    pub last: f64,
}

/// Averages `(at_ms, value)` points (oldest first) into `buckets` equal slices of `[from_ms, to_ms]`; empty
/// slices are left out, so a chart shows gaps as gaps.
pub(crate) fn bucketize(points: &[(i64, f64)], from_ms: i64, to_ms: i64, buckets: i64) -> Vec<ReadingBucket> {
    let buckets = buckets.max(1);
    let span = (to_ms - from_ms).max(1);
    let width = (span + buckets - 1) / buckets;
    let mut out: Vec<ReadingBucket> = Vec::new();
    for &(at, value) in points {
        let index = ((at - from_ms) / width.max(1)).clamp(0, buckets - 1);
        let start = from_ms + index * width;
        match out.last_mut() {
            Some(b) if b.from_ms == start => {
                b.count += 1;
                b.mean += (value - b.mean) / b.count as f64;
                b.min = b.min.min(value);
                b.max = b.max.max(value);
                b.last_ms = at;
                b.last = value;
            }
            _ => out.push(ReadingBucket {
                from_ms: start,
                to_ms: (start + width - 1).min(to_ms),
                count: 1,
                mean: value,
                min: value,
                max: value,
                last_ms: at,
                last: value,
            }),
        }
    }
    out
}

/// The audit detail of a readings batch: how many, for how many passports, over what time.
pub(crate) fn batch_detail(readings: &[Reading], written: ReadingsWritten) -> (String, serde_json::Value) {
    let mut passports: Vec<&str> = readings.iter().map(|r| r.passport_id.as_str()).collect();
    passports.sort_unstable();
    passports.dedup();
    let subject = match passports.as_slice() {
        [one] => one.to_string(),
        many => format!("{} passports", many.len()),
    };
    let from = readings.iter().map(|r| r.at_ms).min();
    let to = readings.iter().map(|r| r.at_ms).max();
    let detail = serde_json::json!({
        "inserted": written.inserted, "duplicates": written.duplicates, "passports": passports.len(),
        "fromMs": from, "toMs": to,
    });
    (subject, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_average_and_skip_empty_slices() {
        let points = [(0, 1.0), (5, 3.0), (25, 10.0), (99, 4.0)];
        let b = bucketize(&points, 0, 99, 4);
        assert_eq!(b.len(), 3, "{b:?}");
        assert_eq!((b[0].from_ms, b[0].count, b[0].mean, b[0].min, b[0].max), (0, 2, 2.0, 1.0, 3.0));
        assert_eq!((b[1].from_ms, b[1].last), (25, 10.0));
        assert_eq!((b[2].from_ms, b[2].last_ms), (75, 99));
    }
}
