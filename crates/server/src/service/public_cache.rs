//! Finished public answers of the resolver (JSON, JSON-LD, pages, tombstones), kept in memory. The public view
//! of a passport version never changes, a QR scan is the hottest path, and the answers already tell shared
//! caches they may be reused for a minute: so this server may too ([`DEFAULT_TTL`]). Writes through this
//! server forget the passport at once; writes by other servers on the same PostgreSQL (or a CLI import into
//! the same SQLite file) are seen within the TTL, as through a CDN.

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an answer is reused by default: the `max-age` the resolver announces.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// Every variant of one passport's public answer (representation and page language): what `forget` drops.
pub const VARIANTS: [&str; 4] = ["json", "jsonld", "html-en", "html-de"];

/// A complete public answer.
#[derive(Debug)]
pub struct CachedAnswer {
    pub status: u16,
    pub content_type: &'static str,
    pub etag: Option<String>,
    pub body: Bytes,
    stored: Instant,
}

impl CachedAnswer {
    pub fn new(status: u16, content_type: &'static str, etag: Option<String>, body: Bytes) -> CachedAnswer {
        CachedAnswer { status, content_type, etag, body, stored: Instant::now() }
    }
}

#[derive(Clone)]
struct BodyWeight;

impl Weighter<String, Arc<CachedAnswer>> for BodyWeight {
    fn weight(&self, key: &String, answer: &Arc<CachedAnswer>) -> u64 {
        (key.len() + answer.body.len() + 128) as u64
    }
}

/// Bounded by bytes; `None` when disabled.
pub struct PublicCache {
    cache: Option<Cache<String, Arc<CachedAnswer>, BodyWeight>>,
    ttl: Duration,
}

fn key(id: &str, variant: &str) -> String {
    format!("{id} {variant}")
}

impl PublicCache {
    /// A cache holding up to `capacity_bytes` of answers (0 = off), each for `ttl`.
    pub fn new(capacity_bytes: u64, ttl: Duration) -> PublicCache {
        let cache = (capacity_bytes > 0).then(|| {
            // quick_cache wants an item estimate for its table size: assume ~8 KB answers.
            let items = (capacity_bytes / 8192).max(16) as usize;
            Cache::with_weighter(items, capacity_bytes, BodyWeight)
        });
        PublicCache { cache, ttl }
    }

    pub fn get(&self, id: &str, variant: &str) -> Option<Arc<CachedAnswer>> {
        let cache = self.cache.as_ref()?;
        let key = key(id, variant);
        let answer = cache.get(&key)?;
        if answer.stored.elapsed() < self.ttl {
            Some(answer)
        } else {
            cache.remove(&key);
            None
        }
    }

    pub fn put(&self, id: &str, variant: &str, answer: Arc<CachedAnswer>) {
        if let Some(cache) = &self.cache {
            cache.insert(key(id, variant), answer);
        }
    }

    /// Drops every variant of a passport (after a write).
    pub fn forget(&self, id: &str) {
        if let Some(cache) = &self.cache {
            for variant in VARIANTS {
                cache.remove(&key(id, variant));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_per_variant_and_forgotten_together() {
        let cache = PublicCache::new(1 << 20, DEFAULT_TTL);
        let answer = |body: &'static str| Arc::new(CachedAnswer::new(200, "text/plain", None, Bytes::from(body)));
        cache.put("urn:voltpass:1", "json", answer("{}"));
        cache.put("urn:voltpass:1", "html-de", answer("<p>"));
        assert_eq!(cache.get("urn:voltpass:1", "json").unwrap().body, "{}");
        assert!(cache.get("urn:voltpass:1", "html-en").is_none());
        cache.forget("urn:voltpass:1");
        assert!(cache.get("urn:voltpass:1", "json").is_none() && cache.get("urn:voltpass:1", "html-de").is_none());
    }

    #[test]
    fn answers_expire() {
        let cache = PublicCache::new(1 << 20, Duration::from_millis(20));
        cache.put("a", "json", Arc::new(CachedAnswer::new(200, "application/json", None, Bytes::new())));
        assert!(cache.get("a", "json").is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(cache.get("a", "json").is_none());
    }

    #[test]
    fn a_disabled_cache_keeps_nothing() {
        let cache = PublicCache::new(0, DEFAULT_TTL);
        cache.put("a", "json", Arc::new(CachedAnswer::new(200, "application/json", None, Bytes::new())));
        assert!(cache.get("a", "json").is_none());
    }
}
