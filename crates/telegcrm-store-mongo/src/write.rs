//! Raw write commands (many statements in one round trip) and keyset page filters.

use bson::{Bson, Document, doc};
use futures::TryStreamExt;
use mongodb::{Collection, Database};
use telegcrm_domain::StoreError;
use telegcrm_domain::page::PageRequest;

use crate::codec::date;
use crate::error::{WriteOutcome, ctx, store_error};

/// Statements per command on MongoDB: well under the server's 100 000, and small enough that a
/// command stays far below the 48 MB message limit.
pub(crate) const CHUNK: usize = 1000;
/// Statements per command on FerretDB 1.x, which keeps every statement's query open until the
/// whole command ends and stalls once they outnumber its connection pool.
pub(crate) const FERRETDB_CHUNK: usize = 16;

/// One update statement.
pub(crate) fn statement(q: Document, u: Document, upsert: bool) -> Document {
    doc! { "q": q, "u": u, "upsert": upsert, "multi": false }
}

/// Runs update statements on `collection` in as few round trips as possible. `ordered` runs them
/// one after the other, stopping at the first failure; otherwise all run and failures are listed.
pub(crate) async fn update_many_statements(
    db: &Database,
    chunk: usize,
    collection: &str,
    statements: Vec<Document>,
    ordered: bool,
    context: &str,
) -> Result<WriteOutcome, StoreError> {
    let mut outcome = WriteOutcome::default();
    let mut offset = 0;
    let mut rest = statements;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(chunk.max(1)));
        let len = rest.len();
        let command = doc! { "update": collection, "updates": rest, "ordered": ordered };
        let reply = db.run_command(command).await.map_err(|e| store_error(context, e))?;
        outcome.absorb(&reply, offset, context)?;
        if ordered && !outcome.errors.is_empty() {
            break;
        }
        offset += len;
        rest = tail;
    }
    Ok(outcome)
}

/// Every document a query finds.
pub(crate) async fn find_all(
    coll: &Collection<Document>,
    filter: Document,
    sort: Option<Document>,
    limit: Option<i64>,
    context: &'static str,
) -> Result<Vec<Document>, StoreError> {
    let mut find = coll.find(filter);
    if let Some(sort) = sort {
        find = find.sort(sort);
    }
    if let Some(limit) = limit {
        find = find.limit(limit);
    }
    find.await.map_err(ctx(context))?.try_collect().await.map_err(ctx(context))
}

/// How many items to fetch for a page: one more than the limit tells whether more follow.
pub(crate) fn overfetch(page: &PageRequest) -> i64 {
    i64::try_from(page.limit.get() + 1).unwrap_or(i64::MAX)
}

/// The filter that keeps items after the cursor of a newest-first `(field, _id)` list.
pub(crate) fn after_desc(field: &str, page: &PageRequest) -> Option<Document> {
    let (at, id) = page.cursor.as_ref().and_then(|c| c.after())?;
    let id = Bson::String(id.hyphenated().to_string());
    Some(doc! { "$or": [ { field: { "$lt": date(at) } }, { field: date(at), "_id": { "$lt": id } } ] })
}

/// The filter that keeps items after the cursor of an oldest-first `(field, _id)` list.
pub(crate) fn after_asc(field: &str, page: &PageRequest) -> Option<Document> {
    let (at, id) = page.cursor.as_ref().and_then(|c| c.after())?;
    let id = Bson::String(id.hyphenated().to_string());
    Some(doc! { "$or": [ { field: { "$gt": date(at) } }, { field: date(at), "_id": { "$gt": id } } ] })
}

/// ANDs filter parts (an `$and` of one part is the part).
pub(crate) fn and(mut parts: Vec<Document>) -> Document {
    match parts.len() {
        0 => Document::new(),
        1 => parts.pop().unwrap_or_default(),
        _ => doc! { "$and": parts },
    }
}
