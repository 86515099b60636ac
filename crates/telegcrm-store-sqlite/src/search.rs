//! Search candidates: the domain's query as an FTS5 expression, and one SQL statement that walks
//! the full-text index newest first with every filter applied inside it.

use rusqlite::Connection;
use rusqlite::types::Value;
use telegcrm_domain::search::{SearchFilters, SearchQuery};
use telegcrm_domain::{AvatarId, Message, StoreError};

use crate::codec::{self, MESSAGE_COLUMNS, MessageRow, db, id, time};

/// The FTS5 expression for a query: every clause a double-quoted string (a phrase when it has
/// several words), `*` after it when its last word is a prefix, clauses ANDed. User text is
/// always inside quotes, so it is never FTS5 syntax (a NUL, which would end the string early in
/// SQLite's C parser, becomes a space). `None` for an empty query.
pub fn fts_expression(query: &SearchQuery) -> Option<String> {
    let parts: Vec<String> = query
        .clauses
        .iter()
        .filter(|c| !c.terms.is_empty())
        .map(|c| {
            let phrase = c.terms.join(" ").replace('"', "\"\"").replace('\0', " ");
            if c.prefix { format!("\"{phrase}\"*") } else { format!("\"{phrase}\"") }
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// Up to `max` of the owner's non-deleted messages matching `query` and `filters`, newest
/// `sentAt` first (ties: id descending).
pub fn candidates(
    conn: &Connection,
    owner: AvatarId,
    query: &SearchQuery,
    filters: &SearchFilters,
    max: usize,
) -> Result<Vec<Message>, StoreError> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let fts = fts_expression(query);
    if fts.is_none() && !query.is_empty() {
        return Ok(Vec::new());
    }
    let mut lo = filters.from.map(codec::message_key);
    let hi = filters.to.map(codec::message_key_end);
    let mut found = run(conn, owner, fts.as_deref(), filters, lo, hi, max)?;
    // Rowids order messages by the millisecond of sentAt; messages of the last millisecond that
    // did not fit might sort before some that did, so read that millisecond whole, then sort.
    if found.len() == max
        && let Some(last) = found.last()
    {
        let bucket_start = codec::message_key(last.message.sent_at);
        lo = Some(lo.map_or(bucket_start, |l| l.max(bucket_start)));
        let rest = run(conn, owner, fts.as_deref(), filters, lo, Some(last.rowid - 1), usize::MAX)?;
        found.extend(rest);
    }
    let mut messages: Vec<Message> = found.into_iter().map(|r| r.message).collect();
    messages.sort_by_key(|m| std::cmp::Reverse((m.sent_at, m.id)));
    messages.truncate(max);
    Ok(messages)
}

fn run(
    conn: &Connection,
    owner: AvatarId,
    fts: Option<&str>,
    f: &SearchFilters,
    lo: Option<i64>,
    hi: Option<i64>,
    max: usize,
) -> Result<Vec<MessageRow>, StoreError> {
    let mut params: Vec<Value> = Vec::new();
    let mut push = |v: Value| {
        params.push(v);
        format!("?{}", params.len())
    };
    // A conversation or contact filter leaves few messages: walk those, newest first, and probe
    // the index for each. Otherwise CROSS JOIN fixes the loop order: the index (or the table)
    // outside, newest rowid first, so the walk stops after `max` rows that pass the filters.
    let narrow = f.conversation_id.is_some() || f.contact_id.is_some();
    let (from, key) = match fts {
        Some(expr) if narrow => {
            let p = push(Value::Text(expr.to_owned()));
            (
                "messages m".to_owned(),
                Some(format!("EXISTS (SELECT 1 FROM messages_fts WHERE messages_fts MATCH {p} AND messages_fts.rowid = m.rowid)")),
            )
        }
        Some(expr) => {
            let p = push(Value::Text(expr.to_owned()));
            ("messages_fts CROSS JOIN messages m ON m.rowid = messages_fts.rowid".to_owned(), Some(format!("messages_fts MATCH {p}")))
        }
        None => ("messages m".to_owned(), None),
    };
    let rowid = if fts.is_some() && !narrow { "messages_fts.rowid" } else { "m.rowid" };
    let mut conds: Vec<String> = key.into_iter().collect();
    conds.push(format!("m.owner = {}", push(Value::Blob(id(owner).to_vec()))));
    conds.push("m.deleted_at IS NULL".to_owned());
    if let Some(lo) = lo {
        conds.push(format!("{rowid} >= {}", push(Value::Integer(lo))));
    }
    if let Some(hi) = hi {
        conds.push(format!("{rowid} <= {}", push(Value::Integer(hi))));
    }
    if let Some(from) = f.from {
        conds.push(format!("m.sent_at >= {}", push(Value::Integer(time(from)?))));
    }
    if let Some(to) = f.to {
        conds.push(format!("m.sent_at < {}", push(Value::Integer(time(to)?))));
    }
    if let Some(cid) = f.conversation_id {
        conds.push(format!("m.conversation_id = {}", push(Value::Blob(id(cid).to_vec()))));
    }
    if let Some(contact) = f.contact_id {
        let (o, c) = (push(Value::Blob(id(owner).to_vec())), push(Value::Blob(id(contact).to_vec())));
        conds.push(format!("m.conversation_id IN (SELECT k.id FROM conversations k WHERE k.owner = {o} AND k.contact_id = {c})"));
    }
    let mut conv: Vec<String> = Vec::new();
    if let Some(p) = f.priority {
        conv.push(format!("c.priority = {}", push(Value::Integer(p.rank().into()))));
    }
    if let Some(s) = f.status {
        conv.push(format!("c.status = {}", push(Value::Text(s.as_str().to_owned()))));
    }
    if let Some(tag) = &f.tag {
        let t = push(Value::Text(tag.key().to_owned()));
        conv.push(format!("EXISTS (SELECT 1 FROM conversation_tags t WHERE t.conversation_id = c.id AND t.tag = {t})"));
    }
    if !conv.is_empty() {
        conds.push(format!("EXISTS (SELECT 1 FROM conversations c WHERE c.id = m.conversation_id AND {})", conv.join(" AND ")));
    }
    let limit = push(Value::Integer(i64::try_from(max).unwrap_or(i64::MAX)));
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM {from} WHERE {} ORDER BY {rowid} DESC LIMIT {limit}", conds.join(" AND "));
    let mut stmt = conn.prepare_cached(&sql).map_err(db("preparing a search"))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(params), codec::read_message).map_err(db("searching"))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db("searching"))
}
