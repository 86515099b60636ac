//! The store contract suite against the in-memory store.

use std::sync::Arc;

use telegcrm_store_memory::MemoryStore;

telegcrm_testkit::store_contract_tests!(|| async { Arc::new(MemoryStore::new()) });

#[test]
fn the_suite_has_a_case_per_rule() {
    assert!(telegcrm_testkit::contract::CASES.len() >= 45, "{} cases", telegcrm_testkit::contract::CASES.len());
}
