//! The same contract suite as the in-memory adapter, against PostgreSQL, each
//! test on a fresh database.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use ledger_contract::{StoreFactory, contract_tests};
use ledger_postgres::PostgresLedgerStore;
use ledger_postgres::testing::TestDatabase;

struct Postgres {
    db: TestDatabase,
    store: PostgresLedgerStore,
}

impl Postgres {
    fn new() -> Self {
        let db = TestDatabase::create();
        let store = db.store(12);
        Self { db, store }
    }
}

impl StoreFactory for Postgres {
    type Store = PostgresLedgerStore;
    fn store(&self) -> PostgresLedgerStore {
        let _ = &self.db;
        self.store.clone()
    }
    fn property_cases(&self) -> u32 {
        24
    }
}

contract_tests!(Postgres::new());
