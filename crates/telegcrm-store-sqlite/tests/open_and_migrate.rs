//! Opening files: fresh, earlier and newer schemas, foreign files, unwritable places.

// Tests: a failed expectation should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use rusqlite::Connection;
use telegcrm_domain::ports::{ParkedStore, StateStore, Store};
use telegcrm_domain::{ParkedUpdate, StoreError};
use telegcrm_store_sqlite::schema::{APPLICATION_ID, SCHEMA_VERSION, migrate};
use telegcrm_store_sqlite::{FILE_NAME, SqliteStore};
use telegcrm_testkit::contract::Crm;
use telegcrm_testkit::fixtures::{at, incoming, msg, private_chat, zoe};

fn pragma(file: &Path, name: &str) -> i64 {
    Connection::open(file).unwrap().query_row(&format!("PRAGMA {name}"), [], |r| r.get(0)).unwrap()
}

fn tables(file: &Path) -> Vec<String> {
    let conn = Connection::open(file).unwrap();
    let mut s = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").unwrap();
    s.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn open_err(path: &Path) -> StoreError {
    SqliteStore::open(path).expect_err("opening should fail")
}

#[test]
fn a_fresh_directory_gets_the_newest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = SqliteStore::open(&data).unwrap();
    assert_eq!(store.file(), data.join(FILE_NAME));
    drop(store);
    let file = data.join(FILE_NAME);
    assert_eq!(pragma(&file, "user_version"), i64::from(SCHEMA_VERSION));
    assert_eq!(pragma(&file, "application_id"), i64::from(APPLICATION_ID));
    assert_eq!(Connection::open(&file).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0)).unwrap(), "wal");
    let t = tables(&file);
    for name in ["conversations", "messages", "messages_fts", "contacts", "followups", "state", "leases"] {
        assert!(t.iter().any(|x| x == name), "{name} missing from {t:?}");
    }
}

#[test]
fn an_empty_existing_file_is_initialised() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("crm.sqlite3");
    std::fs::write(&file, b"").unwrap();
    drop(SqliteStore::open(&file).unwrap());
    assert_eq!(pragma(&file, "user_version"), i64::from(SCHEMA_VERSION));
}

#[test]
fn migrations_can_stop_at_an_earlier_version() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v1.sqlite3");
    drop(migrate(Connection::open(&file).unwrap(), &file, 1).unwrap());
    assert_eq!(pragma(&file, "user_version"), 1);
    assert!(!tables(&file).iter().any(|t| t == "messages_fts"));
}

#[tokio::test]
async fn a_version_2_database_gains_parked_updates_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.put_state("telegram:offset", "812345679").await.unwrap();
    }
    let file = dir.path().join(FILE_NAME);
    Connection::open(&file)
        .unwrap()
        .execute_batch(
            "DROP TABLE activity; DROP TABLE note_mentions; DROP TABLE notes; DROP INDEX conversations_assignee; ALTER TABLE conversations DROP COLUMN assignee; ALTER TABLE messages DROP COLUMN details; \
             DROP TABLE parked_updates; DROP TABLE counters; PRAGMA user_version = 2;",
        )
        .unwrap();
    assert!(!tables(&file).iter().any(|t| t == "parked_updates"));
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(pragma(&file, "user_version"), i64::from(SCHEMA_VERSION));
    assert_eq!(store.get_state("telegram:offset").await.unwrap().as_deref(), Some("812345679"));
    let parked = ParkedUpdate::new(812_345_679, r#"{"update_id":812345679}"#, "refused", at(1));
    store.put_parked(&parked).await.unwrap();
    store.add_dropped(3).await.unwrap();
    assert_eq!(store.list_parked(None, 10).await.unwrap(), [parked]);
    assert_eq!(store.dropped_count().await.unwrap(), 3);
}

#[tokio::test]
async fn a_version_1_database_gets_its_messages_indexed_when_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let chat;
    let owner;
    {
        let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let crm = Crm::new(store.clone());
        owner = crm.owner;
        chat = private_chat(owner, &zoe());
        crm.ingest([msg(incoming(&chat, 1, "Please send the quarterly invoice", at(1))), msg(incoming(&chat, 2, "Ещё один счёт", at(2)))])
            .await;
    }
    // Take the file back to schema version 1, as an older build left it: no full-text index,
    // no parked updates.
    let file = dir.path().join(FILE_NAME);
    Connection::open(&file)
        .unwrap()
        .execute_batch(
            "DROP TABLE activity; DROP TABLE note_mentions; DROP TABLE notes; DROP INDEX conversations_assignee; ALTER TABLE conversations DROP COLUMN assignee; \
             ALTER TABLE messages DROP COLUMN details; DROP TABLE messages_fts; DROP TABLE parked_updates; DROP TABLE counters; \
             PRAGMA user_version = 1;",
        )
        .unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).unwrap());
    assert_eq!(pragma(&file, "user_version"), i64::from(SCHEMA_VERSION));
    let crm = Crm { owner, ..Crm::new(store) };
    assert_eq!(crm.search_texts("invoice").await, ["Please send the quarterly invoice"]);
    assert_eq!(crm.search_texts("счет").await, ["Ещё один счёт"]);
    assert_eq!(crm.messages(&chat).await.len(), 2);
    assert!(crm.messages(&chat).await.iter().all(|m| m.details.is_empty()), "messages stored before version 4 read with no details");
    // Stored before version 5: nobody is assigned, and the filter says so.
    let unassigned =
        telegcrm_domain::ports::ConversationFilter { assignee: Some(telegcrm_domain::ports::Assignee::Nobody), ..Default::default() };
    let page = crm.store.list_conversations(owner, &unassigned, &Default::default()).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].assignee_avatar_id, None);
}

#[tokio::test]
async fn reopening_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.put_state("offset", "42").await.unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.get_state("offset").await.unwrap().as_deref(), Some("42"));
    store.ping().await.unwrap();
}

#[test]
fn a_text_file_is_refused_by_name_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.sqlite3");
    std::fs::write(&file, "shopping list: milk, eggs, bread\n".repeat(200)).unwrap();
    let err = open_err(&file);
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert!(err.to_string().contains("notes.sqlite3") && err.to_string().contains("not a Telegcrm database"), "{err}");
    assert!(std::fs::read_to_string(&file).unwrap().starts_with("shopping list"));
}

#[test]
fn a_text_file_in_place_of_the_database_in_a_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), "{\"not\": \"sqlite\"}".repeat(100)).unwrap();
    let err = open_err(dir.path());
    assert!(err.to_string().contains(FILE_NAME), "{err}");
}

#[test]
fn another_applications_sqlite_database_is_refused_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("other.db");
    Connection::open(&file).unwrap().execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL);").unwrap();
    let err = open_err(&file);
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert!(err.to_string().contains("other.db") && err.to_string().contains("another application"), "{err}");
    assert_eq!(tables(&file), ["invoices"]);
    assert_eq!(pragma(&file, "user_version"), 0);
}

#[test]
fn a_newer_schema_version_is_refused_and_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let file = dir.path().join(FILE_NAME);
    Connection::open(&file).unwrap().execute_batch("PRAGMA user_version = 99;").unwrap();
    let err = open_err(dir.path());
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains(FILE_NAME) && text.contains("99") && text.contains("newer"), "{text}");
    assert_eq!(pragma(&file, "user_version"), 99);
}

#[test]
fn a_data_dir_below_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, b"x").unwrap();
    let err = open_err(&blocker.join("data"));
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("blocker"), "{err}");
}

#[test]
fn a_read_only_data_dir_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("ro");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(data.join("probe"), b"").is_ok() {
        // Running as root: permissions do not bind, so there is nothing to check here.
        return;
    }
    let err = open_err(&data);
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("ro") && err.to_string().contains("not writable"), "{err}");
}
