//! The schema marker: `{_id: "meta:schema", version, createdAt}` in `state`, saying which schema
//! the database holds, so that an instance older than the database refuses it clearly instead of
//! misreading it (as the SQLite store's `PRAGMA user_version`).
//!
//! Version 1 is the collections and indexes of [`crate::indexes::specs`]. The `parked_updates`
//! collection came later without a new version: it is additive (no index beyond `_id`, created
//! on first use) and a build that predates it neither reads nor misreads it, so raising the
//! version would only make older instances refuse a database they can use. A database without the
//! marker (fresh, or made before the marker existed) is version 0; opening it creates the indexes
//! and writes version 1. The marker is written with an upsert that only raises the version
//! (`$max`), so instances writing it at the same moment agree, and a racing insert that loses
//! (duplicate `_id`) is retried by the caller and then finds the winner's marker.

use bson::{Bson, doc};
use chrono::Utc;
use mongodb::Database;
use telegcrm_domain::StoreError;

use crate::collections::STATE;
use crate::open::AttemptError;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;
/// The marker document's `_id` in `state`.
pub const SCHEMA_MARKER_ID: &str = "meta:schema";

/// Reads the database's schema version (0 without a marker) and refuses one newer than this
/// build knows.
pub(crate) async fn check(db: &Database) -> Result<i64, AttemptError> {
    let marker = db
        .collection::<bson::Document>(STATE)
        .find_one(doc! { "_id": SCHEMA_MARKER_ID })
        .await
        .map_err(AttemptError::ctx("reading the schema marker"))?;
    let version = match marker.as_ref().map(|m| m.get("version")) {
        None => 0,
        Some(Some(Bson::Int32(v))) => i64::from(*v),
        Some(Some(Bson::Int64(v))) => *v,
        Some(other) => {
            return Err(AttemptError::Fatal(StoreError::Corrupt(format!(
                "database {:?}: the schema marker ({SCHEMA_MARKER_ID} in {STATE}) has no integer version: {other:?}",
                db.name()
            ))));
        }
    };
    if version > SCHEMA_VERSION {
        return Err(AttemptError::Fatal(StoreError::Corrupt(format!(
            "database {:?} has schema version {version}, newer than this build of Telegcrm knows ({SCHEMA_VERSION}); \
             upgrade Telegcrm to open it",
            db.name()
        ))));
    }
    Ok(version)
}

/// Records that the database now holds [`SCHEMA_VERSION`] (never lowers a newer marker).
pub(crate) async fn mark(db: &Database) -> Result<(), AttemptError> {
    db.collection::<bson::Document>(STATE)
        .update_one(
            doc! { "_id": SCHEMA_MARKER_ID },
            doc! {
                "$max": { "version": SCHEMA_VERSION },
                "$setOnInsert": { "createdAt": bson::DateTime::from_chrono(Utc::now()) },
            },
        )
        .upsert(true)
        .await
        .map(|_| ())
        .map_err(AttemptError::ctx("writing the schema marker"))
}
