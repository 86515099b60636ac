//! The store contract suite of the test kit, each case on a fresh database.
//!
//! The suite's macro needs a store from its factory and cannot skip a case, so this file is
//! compiled only when a server is expected (see `build.rs`: `MONGODB_URI` set, or `CI=true`, where
//! a missing `MONGODB_URI` fails every case with a clear message). Without either, the one test
//! below says the suite was skipped.

#![allow(clippy::unwrap_used)]

mod common;

#[cfg(mongo_tests)]
telegcrm_testkit::store_contract_tests!(common::contract_store);

#[cfg(not(mongo_tests))]
#[test]
fn contract_suite_is_skipped_without_mongodb_uri() {
    eprintln!("skipping the store contract suite: MONGODB_URI is not set (`cargo xtask test` starts FerretDB and sets it)");
}
