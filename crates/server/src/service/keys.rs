//! API keys for administrators: list them (fingerprints, never keys) and revoke them. A revoked or expired key
//! stops working at once on the server that revoked it and within [`KEY_RECHECK`] (`Config::key_recheck`) on
//! every other one: servers keep the holders of keys they have seen for that long, never past a key's expiry.

use std::time::{Duration, Instant};

use store::{Actor, KeyInfo, KeySelector, Role};
use time::OffsetDateTime;

use super::{PassportService, Result, ServiceError};

/// How long a server trusts a key holder it looked up before it asks the store again.
pub const KEY_RECHECK: Duration = Duration::from_secs(30);

/// A key holder as a server keeps it.
#[derive(Debug, Clone)]
pub(crate) struct CachedHolder {
    actor: Actor,
    fresh_until: Instant,
}

impl PassportService {
    /// Trusts a key holder once looked up for `recheck` (default [`KEY_RECHECK`]).
    pub fn with_key_recheck(mut self, recheck: Duration) -> Self {
        self.key_recheck = recheck;
        self
    }

    /// The actor holding the API key with this hash while the key is in force.
    pub async fn actor_by_key_hash(&self, key_hash: &str) -> Result<Option<Actor>> {
        let now = Instant::now();
        if let Some(cached) = self.key_holders.get(key_hash).filter(|c| now < c.fresh_until) {
            return Ok(Some(cached.actor));
        }
        let Some(holder) = self.store.key_in_force(key_hash).await? else {
            self.key_holders.remove(key_hash);
            return Ok(None);
        };
        // Never trusted past the key's expiry.
        let left = holder.expires_at.map(|until| {
            Duration::try_from(until - OffsetDateTime::now_utc()).unwrap_or(Duration::ZERO).min(self.key_recheck)
        });
        let fresh_until = now + left.unwrap_or(self.key_recheck);
        self.key_holders.insert(key_hash.to_string(), CachedHolder { actor: holder.actor.clone(), fresh_until });
        Ok(Some(holder.actor))
    }

    /// Every key: administrators only.
    pub async fn api_keys(&self, actor: &Actor) -> Result<Vec<KeyInfo>> {
        only_admins(actor)?;
        Ok(self.store.list_keys().await?)
    }

    /// Revokes keys (administrators only), recorded in the audit log; this server forgets them at once.
    pub async fn revoke_keys(&self, actor: &Actor, which: &KeySelector) -> Result<usize> {
        only_admins(actor)?;
        let revoked = self.store.revoke_keys(which, &actor.id).await?;
        self.key_holders.clear();
        Ok(revoked)
    }
}

fn only_admins(actor: &Actor) -> Result<()> {
    match actor.role {
        Role::Admin => Ok(()),
        role => Err(ServiceError::Forbidden(format!("role {role} may not manage API keys"))),
    }
}
