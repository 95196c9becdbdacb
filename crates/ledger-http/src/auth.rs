//! API keys: random, shown once, stored as SHA-256 hashes, with a scope.
//!
//! The secret has 256 random bits, so a fast hash is enough (no password
//! stretching is needed for keys nobody chose).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use chrono::{DateTime, Utc};
use ledger_domain::access::{ApiKey, Scope};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::dialect::{Dialect, DialectError};
use crate::error::ApiError;
use crate::state::AppState;

pub const KEY_PREFIX: &str = "wlk_";

/// The caller of a `/v1` request, set by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Caller(pub ApiKey);

pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new key: the secret (show it once) and what is stored.
pub fn new_api_key(name: &str, scope: Scope, now: DateTime<Utc>) -> (String, ApiKey) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", hex::encode(bytes));
    let key = ApiKey {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        prefix: secret.chars().take(12).collect(),
        key_hash: hash_key(&secret),
        scope,
        created_at: now,
        revoked_at: None,
    };
    (secret, key)
}

/// Recently seen keys, so a request does not cost a database round trip for
/// its key. Entries expire after a second: a key revoked in the database (by
/// any process) is refused by every process within a second, and a busy key
/// costs one lookup a second, not one per request.
#[derive(Default)]
pub struct KeyCache {
    keys: Mutex<HashMap<String, (ApiKey, Instant)>>,
}

pub const CACHE_TTL: Duration = Duration::from_secs(1);

impl KeyCache {
    fn get(&self, hash: &str) -> Option<ApiKey> {
        let keys = self.keys.lock().ok()?;
        keys.get(hash)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(k, _)| k.clone())
    }

    /// Drops a key from the cache (it was just revoked).
    pub fn forget(&self, hash: &str) {
        if let Ok(mut keys) = self.keys.lock() {
            keys.remove(hash);
        }
    }

    fn put(&self, key: ApiKey) {
        if let Ok(mut keys) = self.keys.lock() {
            if keys.len() > 10_000 {
                keys.clear();
            }
            keys.insert(key.key_hash.clone(), (key, Instant::now()));
        }
    }
}

/// Per-key request rate limit: a generic cell rate algorithm (a token bucket
/// in one timestamp per key, integer nanoseconds). `per_second = 0` is off.
#[derive(Default)]
pub struct RateLimiter {
    /// `(per_second, burst)` as configured (`None`: no limit).
    limits: Option<(u32, u32)>,
    /// Time between two requests at the sustained rate.
    interval: Duration,
    /// How far ahead of now a key's next slot may run: the burst.
    tolerance: Duration,
    next: Mutex<HashMap<Uuid, Instant>>,
}

impl RateLimiter {
    /// `per_second` requests a second sustained, `burst` at once (≥ 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        if per_second == 0 {
            return Self::default();
        }
        let burst = burst.max(1);
        let interval = Duration::from_secs(1) / per_second;
        Self {
            limits: Some((per_second, burst)),
            interval,
            tolerance: interval * (burst - 1),
            next: Mutex::default(),
        }
    }

    /// `(per_second, burst)`, if limited.
    pub fn limits(&self) -> Option<(u32, u32)> {
        self.limits
    }

    /// Takes a slot for `key` at `now`; `Err(wait)` when it has none left.
    pub fn check(&self, key: Uuid, now: Instant) -> Result<(), Duration> {
        if self.limits.is_none() {
            return Ok(());
        }
        let interval = self.interval;
        let Ok(mut next) = self.next.lock() else { return Ok(()) };
        if next.len() > 100_000 {
            next.retain(|_, at| *at > now);
        }
        let at = next.get(&key).copied().filter(|at| *at > now).unwrap_or(now);
        let ahead = at.duration_since(now);
        if ahead > self.tolerance {
            return Err(ahead - self.tolerance);
        }
        next.insert(key, at + interval);
        Ok(())
    }
}

/// The scope a native request needs (see [`scope_for`]).
pub fn required_scope(method: &Method, path: &str) -> Scope {
    if path.starts_with("/v1/api-keys") {
        return Scope::Admin; // keys manage access itself: reading them too
    }
    scope_for(method, path, "/v1/ledgers")
}

/// The one scope rule of every dialect: reads need `read`; opening a ledger
/// (a POST to `ledgers_path`) needs `admin`; every other write needs `write`.
pub fn scope_for(method: &Method, path: &str, ledgers_path: &str) -> Scope {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        Scope::Read
    } else if path.trim_end_matches('/') == ledgers_path {
        Scope::Admin
    } else {
        Scope::Write
    }
}

async fn lookup(state: &AppState, secret: &str) -> Result<ApiKey, ApiError> {
    let hash = hash_key(secret);
    if let Some(key) = state.keys.get(&hash) {
        return Ok(key);
    }
    let store = state.store.clone();
    let lookup_hash = hash.clone();
    let found = web::block(move || store.find_api_key(&lookup_hash)).await??;
    let key = found.ok_or_else(|| ApiError::unauthorized("unknown API key"))?;
    state.keys.put(key.clone());
    Ok(key)
}

/// Middleware for a dialect's routes: the key where dialect `D` sends it,
/// then the scope check; refusals in `D`'s error shape.
pub async fn authenticate<D: Dialect, B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    let fail = |e: ApiError| -> actix_web::Error { DialectError::<D>::new(e).into() };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| fail(ApiError::internal()))?;
    let Some(secret) = D::secret(req.headers()) else {
        return Err(fail(ApiError::unauthorized(D::KEY_HINT)));
    };
    let key = lookup(&state, &secret).await.map_err(fail)?;
    if key.revoked_at.is_some() {
        return Err(fail(ApiError::unauthorized("this API key was revoked")));
    }
    let needed = D::required_scope(req.method(), req.path());
    if !key.scope.allows(needed) {
        return Err(fail(ApiError::forbidden(format!(
            "this key has scope `{}`; the request needs `{}`",
            key.scope.as_str(),
            needed.as_str()
        ))));
    }
    if let Err(wait) = state.limiter.check(key.id, Instant::now()) {
        let (per_second, burst) = state.limiter.limits().unwrap_or_default();
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let error = ApiError::new(
            crate::error::ProblemType::RateLimited,
            format!(
                "this API key may send {per_second} requests a second (bursts of {burst}); retry after {seconds} s"
            ),
        );
        let mut response = DialectError::<D>::new(error).error_response();
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&seconds.to_string()) {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
        return Ok(req.into_response(response).map_into_right_body());
    }
    req.extensions_mut().insert(Caller(key));
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_only_their_hash_is_kept() {
        let (a, ka) = new_api_key("a", Scope::Read, Utc::now());
        let (b, _) = new_api_key("b", Scope::Read, Utc::now());
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX) && a.len() == KEY_PREFIX.len() + 64);
        assert_eq!(ka.key_hash, hash_key(&a));
        assert!(!ka.key_hash.contains(&a));
    }

    #[test]
    fn scopes_follow_the_method_and_path() {
        assert_eq!(required_scope(&Method::GET, "/v1/ledgers"), Scope::Read);
        assert_eq!(required_scope(&Method::POST, "/v1/ledgers"), Scope::Admin);
        assert_eq!(required_scope(&Method::POST, "/v1/deposits"), Scope::Write);
        assert_eq!(required_scope(&Method::GET, "/v1/api-keys"), Scope::Admin);
        assert!(Scope::Admin.allows(Scope::Write) && !Scope::Read.allows(Scope::Write));
    }
}
