//! The store contract suite against the SQLite store, each case on a fresh database file.

// Tests: a failed expectation should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use telegcrm_store_sqlite::SqliteStore;

async fn fresh() -> Arc<SqliteStore> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    Arc::new(store.keep_alive(dir))
}

telegcrm_testkit::store_contract_tests!(fresh);
