//! Reference points on the same data, with plain SQL: what the work costs without our layer.

use std::path::Path;
use std::time::Instant;

use rusqlite::{Connection, OpenFlags, params};
use telegcrm_domain::search::SearchQuery;
use telegcrm_store_sqlite::schema::index_text;
use telegcrm_store_sqlite::search::fts_expression;

/// What the references measured.
#[derive(Debug)]
pub struct References {
    /// Rows per second copied into fresh tables and index with prepared SQL in one transaction.
    pub raw_insert_rate: f64,
    /// Raw FTS5 match latencies (ms), 20 newest rowids.
    pub fts_ms: Vec<f64>,
    /// `LIKE '%word%'` scan latencies (ms), newest 20.
    pub like_ms: Vec<f64>,
    /// The kind of query (index in the mix's cycle of five) of each `like_ms`.
    pub like_kind: Vec<usize>,
}

/// Measures the references against the database `file` (opened read-only) and a scratch copy.
pub fn measure(file: &Path, queries: &[&str]) -> Result<References, Box<dyn std::error::Error>> {
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut fts_ms = Vec::new();
    let mut fts = conn.prepare("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid DESC LIMIT 20")?;
    for q in queries {
        let Some(expr) = fts_expression(&SearchQuery::parse(q)) else { continue };
        let t = Instant::now();
        let ids: Vec<i64> = fts.query_map(params![expr], |r| r.get(0))?.collect::<Result<_, _>>()?;
        fts_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(ids);
    }
    // A LIKE scan reads the whole table for a rare word: a fifth of the queries, every kind
    // alike (the mix cycles through five kinds), is enough for a p50.
    let (mut like_ms, mut like_kind) = (Vec::new(), Vec::new());
    let mut like = conn.prepare("SELECT rowid FROM messages WHERE deleted_at IS NULL AND content LIKE ?1 ORDER BY rowid DESC LIMIT 20")?;
    for (i, q) in queries.iter().enumerate().filter(|(i, _)| (i / 5) % 5 == i % 5) {
        let word = q.trim_matches(|c: char| c == '"' || c == '*').split_whitespace().next().unwrap_or("");
        let t = Instant::now();
        let ids: Vec<i64> = like.query_map(params![format!("%{word}%")], |r| r.get(0))?.collect::<Result<_, _>>()?;
        like_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        like_kind.push(i % 5);
        std::hint::black_box(ids);
    }
    let raw_insert_rate = raw_insert(file)?;
    Ok(References { raw_insert_rate, fts_ms, like_ms, like_kind })
}

/// Copies every conversation, contact and message of `file` into a fresh database with the same
/// schema, indexing the messages' words, with prepared statements in one transaction.
pub fn raw_insert(file: &Path) -> Result<f64, Box<dyn std::error::Error>> {
    let scratch = tempfile::tempdir()?;
    drop(telegcrm_store_sqlite::SqliteStore::open(scratch.path())?);
    let mut dst = Connection::open(scratch.path().join(telegcrm_store_sqlite::FILE_NAME))?;
    dst.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")?;
    let src_path = file.to_string_lossy().replace('\'', "''");
    dst.execute_batch(&format!("ATTACH DATABASE '{src_path}' AS src;"))?;
    let src = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // The rows stream from the source while they are written; reading them is a small part.
    let mut select = src.prepare(
        "SELECT rowid, id, owner, conversation_id, telegram_message_id, direction, from_telegram_id, from_name, content, message_type, \
         media, reply_to, sent_at, edited_at, edits, deleted_at, is_read FROM messages",
    )?;
    let mut rows = select.query([])?;
    let started = Instant::now();
    let tx = dst.transaction()?;
    tx.execute_batch("INSERT INTO conversations SELECT * FROM src.conversations; INSERT INTO contacts SELECT * FROM src.contacts;")?;
    let mut n = 0u64;
    {
        let mut insert = tx.prepare(
            "INSERT INTO messages (rowid, id, owner, conversation_id, telegram_message_id, direction, from_telegram_id, from_name, \
             content, message_type, media, reply_to, sent_at, edited_at, edits, deleted_at, is_read) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?;
        let mut index = tx.prepare("INSERT INTO messages_fts (rowid, terms) VALUES (?1, ?2)")?;
        while let Some(r) = rows.next()? {
            let values: Vec<rusqlite::types::Value> = (0..17).map(|i| r.get(i)).collect::<Result<_, _>>()?;
            insert.execute(rusqlite::params_from_iter(values.iter()))?;
            let deleted: Option<i64> = r.get(15)?;
            if deleted.is_none() {
                let content: String = r.get(8)?;
                let text = index_text(&content);
                if !text.is_empty() {
                    index.execute(params![r.get::<_, i64>(0)?, text])?;
                }
            }
            n += 1;
        }
    }
    tx.commit()?;
    Ok(n as f64 / started.elapsed().as_secs_f64())
}
