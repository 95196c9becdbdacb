//! What every handler shares.

use std::sync::Arc;

use ledger_domain::LedgerService;
use ledger_domain::ports::{FullStore, SystemClock, UuidV7Generator};

use crate::auth::{KeyCache, RateLimiter};
use crate::metrics::Metrics;

/// Any adapter implementing every port, chosen by the composition root.
pub type Store = Arc<dyn FullStore>;
pub type Service = LedgerService<Store, SystemClock, UuidV7Generator>;

#[derive(Clone)]
pub struct AppState {
    pub service: Arc<Service>,
    pub store: Store,
    pub keys: Arc<KeyCache>,
    pub metrics: Arc<Metrics>,
    /// Per-key request rate (off unless configured).
    pub limiter: Arc<RateLimiter>,
}

impl AppState {
    pub fn new(store: Store) -> Self {
        Self {
            service: Arc::new(LedgerService::new(Arc::clone(&store), SystemClock, UuidV7Generator)),
            store,
            keys: Arc::new(KeyCache::default()),
            metrics: Arc::new(Metrics::default()),
            limiter: Arc::new(RateLimiter::default()),
        }
    }

    /// Limits every API key to `per_second` requests a second, `burst` at once.
    pub fn with_rate_limit(mut self, per_second: u32, burst: u32) -> Self {
        self.limiter = Arc::new(RateLimiter::new(per_second, burst));
        self
    }
}
