//! Rate limiting of the public routes per client address (GCRA via `governor`), so one scanner or scraper
//! cannot starve everyone else. Over the limit: 429 with `Retry-After`. IPv6 clients are keyed by their /64,
//! since one host usually holds a whole /64.

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::problem::Problem;

/// Requests per second and burst allowed per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

/// How often (in checks) idle client entries are dropped, so memory stays bounded by active clients.
const CLEANUP_EVERY: u64 = 10_000;

/// The limiter shared by every public route.
pub struct PublicLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    /// Behind a reverse proxy the client is the last `X-Forwarded-For` entry (the one our proxy added).
    trust_forwarded_for: bool,
    checks: AtomicU64,
}

impl PublicLimiter {
    pub fn new(limit: RateLimit, trust_forwarded_for: bool) -> Arc<PublicLimiter> {
        let quota = Quota::per_second(limit.per_second).allow_burst(limit.burst);
        Arc::new(PublicLimiter {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            trust_forwarded_for,
            checks: AtomicU64::new(0),
        })
    }

    /// `Err(seconds to wait)` when `client` is over its limit.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % CLEANUP_EVERY == CLEANUP_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&client_key(client)).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    fn client(&self, request: &Request) -> IpAddr {
        let forwarded = self
            .trust_forwarded_for
            .then(|| request.headers().get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        forwarded
            .or_else(|| request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED))
    }
}

/// IPv4 addresses as they are; IPv6 by /64 prefix.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Middleware for the public routes.
pub async fn limit_public(State(limiter): State<Arc<PublicLimiter>>, request: Request, next: Next) -> Response {
    match limiter.check(limiter.client(&request)) {
        Ok(()) => next.run(request).await,
        Err(retry_after) => Problem::too_many_requests(retry_after.max(1)).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(per_second: u32, burst: u32) -> RateLimit {
        RateLimit { per_second: NonZeroU32::new(per_second).unwrap(), burst: NonZeroU32::new(burst).unwrap() }
    }

    #[test]
    fn burst_then_refusal_with_a_wait_per_client() {
        let limiter = PublicLimiter::new(limit(1, 3), false);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.check(a), Ok(()));
        }
        let wait = limiter.check(a).expect_err("fourth request within the burst window is refused");
        assert!((1..=1).contains(&wait), "one request per second: wait about 1 s, got {wait}");
        assert_eq!(limiter.check(b), Ok(()), "another client has its own budget");
    }

    #[test]
    fn ipv6_hosts_share_their_64() {
        let limiter = PublicLimiter::new(limit(1, 1), false);
        assert_eq!(limiter.check("2001:db8::1".parse().unwrap()), Ok(()));
        assert!(limiter.check("2001:db8::ffff".parse().unwrap()).is_err(), "same /64");
        assert_eq!(limiter.check("2001:db8:0:1::1".parse().unwrap()), Ok(()), "another /64");
    }
}
