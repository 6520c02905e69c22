//! Authentication: `Authorization: Bearer <key>`. Keys are random, shown once, and stored only as SHA-256
//! hashes; a lookup by hash reveals nothing about other keys. No key means the public.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;
use store::{Actor, Role};

use crate::AppState;
use crate::problem::Problem;

const KEY_PREFIX: &str = "vpk_";

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
        let Some(value) = parts.headers.get(AUTHORIZATION) else {
            return Ok(Caller::Public);
        };
        let key = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| Problem::unauthorized("malformed Authorization header: use `Bearer <key>`"))?;
        match state.service.store().actor_by_key_hash(&key_hash(key)).await {
            Ok(Some(actor)) => Ok(Caller::Actor(actor)),
            Ok(None) => Err(Problem::unauthorized("unknown API key")),
            Err(e) => Err(crate::service::ServiceError::from(e).into()),
        }
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
