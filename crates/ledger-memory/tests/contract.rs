//! The contract suite against the in-memory adapter.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use ledger_contract::{StoreFactory, contract_tests};
use ledger_memory::MemoryLedgerStore;

struct Memory;

impl StoreFactory for Memory {
    type Store = MemoryLedgerStore;
    fn store(&self) -> MemoryLedgerStore {
        MemoryLedgerStore::new()
    }
    fn property_cases(&self) -> u32 {
        256
    }
}

contract_tests!(Memory);
