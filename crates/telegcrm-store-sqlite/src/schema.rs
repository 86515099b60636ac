//! Opening a database file: recognising it as ours, and migrating its schema forward.
//!
//! A Telegcrm database carries `PRAGMA application_id = APPLICATION_ID` and its schema version in
//! `PRAGMA user_version`. Migration `k` (0-based) takes version `k` to `k + 1`; all run in one
//! transaction, so a failed upgrade leaves the file as it was.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, Transaction};
use telegcrm_domain::StoreError;
use telegcrm_domain::text::terms;

/// Marks a file as a Telegcrm database ("TGCR").
pub const APPLICATION_ID: i32 = 0x5447_4352;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

type Migration = fn(&Transaction<'_>) -> rusqlite::Result<()>;

/// Every migration, in order.
const MIGRATIONS: &[Migration] = &[v1_tables, v2_full_text, v3_parked_updates, v4_message_details, v5_assignee, v6_notes, v7_activity];

/// Version 1: the entities, their unique keys and the indexes the routes need.
fn v1_tables(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r#"
        CREATE TABLE conversations (
            id BLOB PRIMARY KEY NOT NULL,
            owner BLOB NOT NULL,
            chat_id INTEGER NOT NULL,
            business_connection_id TEXT NOT NULL,
            contact_id BLOB,
            priority INTEGER NOT NULL,
            status TEXT NOT NULL,
            unread_count INTEGER NOT NULL,
            last_message_at INTEGER NOT NULL,
            doc TEXT NOT NULL,
            UNIQUE (owner, chat_id, business_connection_id)
        );
        CREATE INDEX conversations_inbox ON conversations (owner, last_message_at DESC, id DESC);
        CREATE INDEX conversations_status ON conversations (owner, status, last_message_at DESC, id DESC);
        CREATE INDEX conversations_contact ON conversations (owner, contact_id);

        CREATE TABLE conversation_tags (
            conversation_id BLOB NOT NULL REFERENCES conversations (id),
            owner BLOB NOT NULL,
            tag TEXT NOT NULL,
            PRIMARY KEY (conversation_id, tag)
        ) WITHOUT ROWID;
        CREATE INDEX conversation_tags_by_tag ON conversation_tags (owner, tag, conversation_id);

        -- rowid is a sort key derived from sent_at (see codec::message_key), so newest-first scans
        -- of the table and of the full-text index are rowid-descending walks.
        CREATE TABLE messages (
            rowid INTEGER PRIMARY KEY,
            id BLOB NOT NULL,
            owner BLOB NOT NULL,
            conversation_id BLOB NOT NULL REFERENCES conversations (id),
            telegram_message_id INTEGER NOT NULL,
            direction TEXT NOT NULL,
            from_telegram_id INTEGER,
            from_name TEXT,
            content TEXT NOT NULL,
            message_type TEXT NOT NULL,
            media TEXT,
            reply_to INTEGER,
            sent_at INTEGER NOT NULL,
            edited_at INTEGER,
            edits TEXT,
            deleted_at INTEGER,
            is_read INTEGER NOT NULL,
            UNIQUE (conversation_id, telegram_message_id)
        );
        CREATE INDEX messages_timeline ON messages (conversation_id, sent_at DESC, id DESC);

        CREATE TABLE contacts (
            id BLOB PRIMARY KEY NOT NULL,
            owner BLOB NOT NULL,
            telegram_id INTEGER NOT NULL,
            last_contacted_at INTEGER NOT NULL,
            doc TEXT NOT NULL,
            UNIQUE (owner, telegram_id)
        );
        CREATE INDEX contacts_recent ON contacts (owner, last_contacted_at DESC, id DESC);

        CREATE TABLE followups (
            id BLOB PRIMARY KEY NOT NULL,
            owner BLOB NOT NULL,
            conversation_id BLOB NOT NULL,
            status TEXT NOT NULL,
            due_at INTEGER NOT NULL,
            reminded_at INTEGER,
            doc TEXT NOT NULL
        );
        CREATE INDEX followups_by_owner ON followups (owner, status, due_at, id);
        CREATE INDEX followups_due ON followups (status, due_at, id);

        CREATE TABLE state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE leases (name TEXT PRIMARY KEY NOT NULL, holder TEXT NOT NULL, until INTEGER NOT NULL) WITHOUT ROWID;
        "#,
    )
}

/// Version 2: the full-text index. Contentless (the text lives in `messages`), over the folded
/// words of each message so that SQLite and the domain agree on what a word is; filled from the
/// messages already stored.
fn v2_full_text(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r#"
        CREATE VIRTUAL TABLE messages_fts USING fts5 (
            terms,
            content = '',
            contentless_delete = 1,
            tokenize = "unicode61 remove_diacritics 2",
            prefix = '2 3 4'
        );
        "#,
    )?;
    let mut select = tx.prepare("SELECT rowid, content FROM messages WHERE deleted_at IS NULL")?;
    let mut insert = tx.prepare("INSERT INTO messages_fts (rowid, terms) VALUES (?1, ?2)")?;
    let mut rows = select.query([])?;
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        let content: String = row.get(1)?;
        let folded = index_text(&content);
        if !folded.is_empty() {
            insert.execute(rusqlite::params![rowid, folded])?;
        }
    }
    Ok(())
}

/// Version 3: updates the store refused, kept as received (`ParkedUpdate`), one row per update
/// id, and counters (`parked_dropped`: refused updates not kept because the cap was reached).
fn v3_parked_updates(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        r#"
        CREATE TABLE parked_updates (
            update_id INTEGER PRIMARY KEY NOT NULL,
            raw TEXT NOT NULL,
            raw_truncated INTEGER NOT NULL,
            error TEXT NOT NULL,
            first_attempt_at INTEGER NOT NULL,
            last_attempt_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL
        );
        CREATE TABLE counters (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
        "#,
    )
}

/// Version 4: what Telegram shows around a message's text (`MessageDetails`: forward origin,
/// quote, formatting, album, topic, reactions, Business flags), as JSON; NULL when there is none,
/// which is how every message stored before reads.
fn v4_message_details(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("ALTER TABLE messages ADD COLUMN details TEXT;")
}

/// Version 5: who a conversation is assigned to (teams), as a column the inbox filters on. No
/// conversation had one before, so nothing is copied from the documents. The index is partial:
/// unassigned conversations (most, and every one outside a team) cost no index upkeep when a
/// message arrives; "Mine" (`assignee = ?`) uses it, "Unassigned" walks the inbox index.
fn v5_assignee(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "ALTER TABLE conversations ADD COLUMN assignee BLOB;
         CREATE INDEX conversations_assignee ON conversations (owner, assignee, last_message_at DESC, id DESC)
             WHERE assignee IS NOT NULL;",
    )
}

/// Version 6: internal notes, with the members each mentions (one row per mention, so "my
/// mentions" is an index walk).
fn v6_notes(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE notes (
             id BLOB PRIMARY KEY NOT NULL,
             owner BLOB NOT NULL,
             conversation_id BLOB NOT NULL REFERENCES conversations (id),
             created_at INTEGER NOT NULL,
             doc TEXT NOT NULL
         );
         CREATE INDEX notes_timeline ON notes (owner, conversation_id, created_at DESC, id DESC);
         CREATE TABLE note_mentions (
             owner BLOB NOT NULL,
             avatar BLOB NOT NULL,
             created_at INTEGER NOT NULL,
             note_id BLOB NOT NULL REFERENCES notes (id),
             PRIMARY KEY (owner, avatar, created_at, note_id)
         ) WITHOUT ROWID;",
    )
}

/// Version 7: the activity log, newest first per workspace and per conversation.
fn v7_activity(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE activity (
             id BLOB PRIMARY KEY NOT NULL,
             owner BLOB NOT NULL,
             conversation_id BLOB,
             at INTEGER NOT NULL,
             doc TEXT NOT NULL
         );
         CREATE INDEX activity_recent ON activity (owner, at DESC, id DESC);
         CREATE INDEX activity_conversation ON activity (owner, conversation_id, at DESC, id DESC) WHERE conversation_id IS NOT NULL;",
    )
}

/// What the full-text index holds for a message: its folded words, space-separated.
pub fn index_text(content: &str) -> String {
    terms(content).join(" ")
}

/// Opens (creating when absent) the database at `file` for writing, checks that it is a Telegcrm
/// database this build can read, and migrates it to [`SCHEMA_VERSION`].
pub fn open_writer(file: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)
        .map_err(|e| open_error(file, e))?;
    configure(&conn, file)?;
    // The writer touches pages all over the message indexes (one conversation's messages are
    // spread through them): 64 MiB of page cache keeps their inner pages and most leaves in
    // memory. It does not checkpoint after its commits: a thread of its own does (see
    // `writer::checkpointer`), and the writer restarts the WAL every `writer::WAL_LIMIT` frames.
    conn.execute_batch("PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0;").map_err(|e| open_error(file, e))?;
    migrate(conn, file, SCHEMA_VERSION)
}

/// Opens the connection that checkpoints the WAL in the background (see `writer::checkpointer`).
pub fn open_checkpointer(file: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| open_error(file, e))?;
    configure(&conn, file)?;
    // It never checkpoints on its own account; it does nothing but checkpoint.
    conn.execute_batch("PRAGMA wal_autocheckpoint = 0;").map_err(|e| open_error(file, e))?;
    Ok(conn)
}

/// Opens a read connection to an already migrated database.
pub fn open_reader(file: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| open_error(file, e))?;
    configure(&conn, file)?;
    conn.pragma_update(None, "query_only", true).map_err(|e| open_error(file, e))?;
    Ok(conn)
}

fn configure(conn: &Connection, file: &Path) -> Result<(), StoreError> {
    // A SQLite header check happens on first read: a text file fails here with "not a database".
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(|e| open_error(file, e))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)).map_err(|e| open_error(file, e))?;
    // WAL with synchronous=NORMAL: a commit is in the OS's hands once it returns, so it survives
    // the process being killed; only a power loss can take the last commits back.
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;")
        .map_err(|e| open_error(file, e))?;
    Ok(())
}

/// Checks the file's identity and version, then runs the migrations up to `target` in one
/// transaction. Exposed (hidden) so that tests can build a database at an earlier version.
#[doc(hidden)]
pub fn migrate(mut conn: Connection, file: &Path, target: u32) -> Result<Connection, StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(|e| open_error(file, e))?;
    let app: i32 = tx.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(|e| open_error(file, e))?;
    let version: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| open_error(file, e))?;
    let objects: i64 = tx.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).map_err(|e| open_error(file, e))?;
    if app != APPLICATION_ID && (objects > 0 || version > 0) {
        return Err(StoreError::Corrupt(format!(
            "{} is not a Telegcrm database (an SQLite database of another application, application_id {app:#x}); \
             refusing to change it — point TELEGCRM_DATA_DIR elsewhere",
            file.display()
        )));
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "{} has schema version {version}, newer than this build of Telegcrm knows ({SCHEMA_VERSION}); upgrade Telegcrm to open it",
            file.display()
        )));
    }
    for (k, step) in MIGRATIONS.iter().enumerate().skip(version as usize).take(target.saturating_sub(version) as usize) {
        step(&tx).map_err(|e| StoreError::Corrupt(format!("{}: migration to schema version {} failed: {e}", file.display(), k + 1)))?;
        tracing::info!(path = %file.display(), version = k + 1, "migrated the database schema");
    }
    let done = target.max(version);
    tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {done};"))
        .map_err(|e| open_error(file, e))?;
    tx.commit().map_err(|e| open_error(file, e))?;
    Ok(conn)
}

/// Names the file in an error opening it, and tells a foreign file from an unreachable one.
pub fn open_error(file: &Path, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::NotADatabase) => StoreError::Corrupt(format!("{} is not a Telegcrm database (not an SQLite file): {e}", file.display())),
        Some(C::DatabaseCorrupt) => StoreError::Corrupt(format!("{} is corrupt: {e}", file.display())),
        Some(C::ReadOnly | C::CannotOpen | C::PermissionDenied) => {
            StoreError::Unavailable(format!("cannot open {} for writing: {e}", file.display()))
        }
        _ => StoreError::Unavailable(format!("{}: {e}", file.display())),
    }
}
