//! Authentication: `Authorization: Bearer <key>`, or for pages the same key in an HttpOnly, SameSite=Strict
//! session cookie set by the login form. Keys are random, shown once, and stored only as SHA-256 hashes; a
//! lookup by hash reveals nothing about other keys. No key means the public.
//!
//! The cookie is honoured only on safe methods (GET, HEAD): a cross-site form can never write with it, so
//! the REST API needs no CSRF tokens; the login and logout forms carry their own.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;
use store::{Actor, Role};

use crate::AppState;
use crate::problem::Problem;

const KEY_PREFIX: &str = "vpk_";
/// Cookie holding the API key of a signed-in page reader.
pub const SESSION_COOKIE: &str = "vp_key";

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// A new random API key (256 bits).
pub fn generate_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", hex::encode(bytes))
}

/// What the store keeps of a key.
pub fn key_hash(key: &str) -> String {
    passport::hash::sha256_hex(key.as_bytes())
}

/// Who is calling: an authenticated actor, or the public.
#[derive(Debug, Clone)]
pub enum Caller {
    Public,
    Actor(Actor),
}

impl Caller {
    /// The actor, or 401 for the public.
    pub fn actor(&self) -> Result<&Actor, Problem> {
        match self {
            Caller::Actor(a) => Ok(a),
            Caller::Public => {
                Err(Problem::unauthorized("this operation needs an API key: Authorization: Bearer <key>"))
            }
        }
    }

    /// The actor, or `None` for the public.
    pub fn actor_or_public(&self) -> Option<&Actor> {
        match self {
            Caller::Actor(a) => Some(a),
            Caller::Public => None,
        }
    }

    /// The actor if its role is one of `roles`; 401 for the public, 403 for other roles.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<&Actor, Problem> {
        let actor = self.actor()?;
        if roles.contains(&actor.role) {
            Ok(actor)
        } else {
            Err(Problem::forbidden(format!("role {} may not {what}", actor.role)))
        }
    }
}

/// Roles that may list passports and read version histories (documents themselves go through the access filter).
pub const READERS: &[Role] = &[Role::Admin, Role::EconomicOperator, Role::LegitimateInterest, Role::Authority];
/// Roles that write passports and models (economic operators only their own).
pub const WRITERS: &[Role] = &[Role::Admin, Role::EconomicOperator];

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = match parts.headers.get(AUTHORIZATION) {
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .ok_or_else(|| Problem::unauthorized("malformed Authorization header: use `Bearer <key>`"))?,
            // A stale session cookie (revoked key) just means the public again.
            None if parts.method.is_safe() => {
                return Ok(match cookie(&parts.headers, SESSION_COOKIE) {
                    Some(key) => actor_for_key(state, key).await.map_or(Caller::Public, Caller::Actor),
                    None => Caller::Public,
                });
            }
            None => return Ok(Caller::Public),
        };
        actor_for_key(state, key).await.map(Caller::Actor)
    }
}

/// The actor an API key belongs to; 401 for an unknown key.
pub async fn actor_for_key(state: &AppState, key: &str) -> Result<Actor, Problem> {
    match state.service.actor_by_key_hash(&key_hash(key)).await {
        Ok(Some(actor)) => Ok(actor),
        Ok(None) => {
            // Recorded (never the key itself): a stream of these is someone guessing.
            let event = store::AuditEvent::new("anonymous", "auth.failure", "api-key", serde_json::json!({}));
            if let Err(e) = state.service.store().append_audit(vec![event]).await {
                tracing::warn!("could not record an authentication failure: {e}");
            }
            Err(Problem::unauthorized("unknown API key"))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_hashes_hide_them() {
        let (a, b) = (generate_key(), generate_key());
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX) && a.len() == KEY_PREFIX.len() + 64);
        assert_eq!(key_hash(&a).len(), 64);
        assert!(!key_hash(&a).contains(&a[KEY_PREFIX.len()..]));
    }
}
