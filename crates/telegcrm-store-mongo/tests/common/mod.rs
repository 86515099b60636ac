//! What every Mongo test shares: the server from `MONGODB_URI` and a fresh database per test.
//!
//! Without `MONGODB_URI` a test skips (saying so), except under `CI=true`, where it fails: CI must
//! never pass without having run the Mongo tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use telegcrm_store_mongo::MongoStore;

/// The server's URI, or `None` (after saying so) when the tests should skip.
pub fn mongo_uri() -> Option<String> {
    match std::env::var("MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => Some(uri),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "MONGODB_URI is not set, and CI=true: the Mongo store tests need a MongoDB or FerretDB server \
                     (`cargo xtask test` starts FerretDB and sets MONGODB_URI)"
                );
            }
            eprintln!("skipping: MONGODB_URI is not set (`cargo xtask test` starts FerretDB and sets it)");
            None
        }
    }
}

/// A database name no other test uses.
pub fn fresh_database() -> String {
    format!("telegcrm_test_{}", uuid::Uuid::new_v4().simple())
}

/// A store on a fresh database, or `None` when skipping.
pub async fn fresh_store() -> Option<MongoStore> {
    let uri = mongo_uri()?;
    Some(MongoStore::connect(&uri, &fresh_database()).await.unwrap())
}

/// A store on a fresh database for the contract suite (which cannot skip: see `contract.rs`).
pub async fn contract_store() -> Arc<MongoStore> {
    let uri = mongo_uri().unwrap_or_else(|| panic!("MONGODB_URI is not set"));
    Arc::new(MongoStore::connect(&uri, &fresh_database()).await.unwrap())
}
