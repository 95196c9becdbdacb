//! What every handler shares.

use std::sync::Arc;

use ledger_domain::LedgerService;
use ledger_domain::ports::{FullStore, SystemClock, UuidV7Generator};

use crate::auth::KeyCache;
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
}

impl AppState {
    pub fn new(store: Store) -> Self {
        Self {
            service: Arc::new(LedgerService::new(Arc::clone(&store), SystemClock, UuidV7Generator)),
            store,
            keys: Arc::new(KeyCache::default()),
            metrics: Arc::new(Metrics::default()),
        }
    }
}
