//! # telegcrm-store-mongo
//!
//! Every Telegcrm store port on MongoDB 4.4+ (standalone, replica set or sharded cluster) and on
//! FerretDB 1.24. It uses only what both support: no transactions, no `$text`, no `$lookup`, no
//! aggregation. The rules are the domain's: ingest runs `telegcrm_domain::ingest::apply_batch` over
//! an in-memory snapshot and writes the result back through a per-batch journal (see `ingest`),
//! hand edits run the domain's `apply`; conversations and contacts are written guarded by their
//! revision (see `revision`), so concurrent writers and several instances never lose one another's
//! changes, and a crash at any point is finished or undone by the next writer. See
//! `docs/operations.md` for the collections and indexes.

mod activity;
mod codec;
mod contacts;
mod conversations;
mod error;
mod followups;
mod indexes;
mod ingest;
mod lock;
mod notes;
mod open;
mod parked;
mod revision;
mod schema;
mod search;
mod state;
mod write;

use async_trait::async_trait;
use bson::{Document, doc};
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database};
use telegcrm_domain::StoreError;
use telegcrm_domain::ports::Store;

use crate::error::ctx;
#[doc(hidden)]
pub use crate::ingest::CrashPoint;
use crate::open::AttemptError;
pub use crate::open::{DEFAULT_OPEN_TIMEOUT, OpenOptions};
pub use crate::schema::{SCHEMA_MARKER_ID, SCHEMA_VERSION};

/// Collection names.
pub mod collections {
    /// Conversations.
    pub const CONVERSATIONS: &str = "conversations";
    /// Messages.
    pub const MESSAGES: &str = "messages";
    /// Contacts.
    pub const CONTACTS: &str = "contacts";
    /// Follow-ups.
    pub const FOLLOWUPS: &str = "followups";
    /// Updates the store refused, kept as received (`_id` = the update id).
    pub const PARKED_UPDATES: &str = "parked_updates";
    /// Internal notes on conversations.
    pub const NOTES: &str = "notes";
    /// The activity log.
    pub const ACTIVITY: &str = "activity";
    /// Small state: key/values (`_id` = `kv:<key>`) and leases (`_id` = `lease:<name>`).
    pub const STATE: &str = "state";
}

/// The MongoDB store. Cheap to clone; clones share one connection pool.
#[derive(Clone, Debug)]
pub struct MongoStore {
    db: Database,
    /// Whether read-modify-write paths must run under the store-wide write lock (FerretDB).
    needs_write_lock: bool,
}

impl MongoStore {
    /// Connects to `uri`, uses `database`, checks the server answers and the database's schema
    /// version, creates the missing indexes and records the schema version; see
    /// [`connect_with`](Self::connect_with). Retries for [`DEFAULT_OPEN_TIMEOUT`].
    pub async fn connect(uri: &str, database: &str) -> Result<Self, StoreError> {
        Self::connect_with(uri, database, &OpenOptions::default()).await
    }

    /// Connects as [`connect`](Self::connect) does. Every step is safe when other instances open
    /// the same database at the same moment; a dropped connection, an unreachable or starting
    /// server and a race with another instance are retried with back-off for `options.timeout`
    /// (see `open`). A database of a newer schema version is refused at once.
    pub async fn connect_with(uri: &str, database: &str, options: &OpenOptions) -> Result<Self, StoreError> {
        let mut client_options = ClientOptions::parse(uri).await.map_err(ctx("parsing MONGODB_URI"))?;
        if client_options.app_name.is_none() {
            client_options.app_name = Some("telegcrm".into());
        }
        // Each attempt waits for a server at most this long, so that retries, not one long wait,
        // use up the time (the driver's own default is 30 s).
        if client_options.server_selection_timeout.is_none() {
            client_options.server_selection_timeout = Some(options.timeout.min(std::time::Duration::from_secs(5)));
        }
        let client = Client::with_options(client_options).map_err(ctx("creating the MongoDB client"))?;
        let db = client.database(database);
        let store = open::with_retry(options, || Self::open_steps(db.clone())).await?;
        store.recover().await?;
        Ok(store)
    }

    /// One attempt at opening: each step re-reads what exists, so a retry resumes where the
    /// previous attempt (or another instance) left off.
    async fn open_steps(db: Database) -> Result<Self, AttemptError> {
        let build = db.run_command(doc! { "buildInfo": 1 }).await.map_err(AttemptError::ctx("asking MongoDB for its build"))?;
        // FerretDB's updates are not atomic (see `lock`); MongoDB's are.
        let needs_write_lock = build.contains_key("ferretdbVersion");
        db.run_command(doc! { "ping": 1 }).await.map_err(AttemptError::ctx("pinging MongoDB"))?;
        let found = schema::check(&db).await?;
        indexes::create_all(&db).await?;
        if found < SCHEMA_VERSION {
            schema::mark(&db).await?;
            tracing::info!(database = db.name(), from = found, to = SCHEMA_VERSION, "recorded the Mongo schema version");
        }
        Ok(Self { db, needs_write_lock })
    }

    /// Whether writes that read and change a document are serialized by the store's write lock
    /// (on FerretDB, whose updates are not atomic); never on MongoDB.
    pub fn serializes_writes(&self) -> bool {
        self.needs_write_lock
    }

    /// How many statements one write command carries on this server.
    pub(crate) fn statements_per_command(&self) -> usize {
        if self.needs_write_lock { write::FERRETDB_CHUNK } else { write::CHUNK }
    }

    /// The database this store uses.
    pub fn database(&self) -> &Database {
        &self.db
    }

    async fn ping_server(&self) -> Result<(), StoreError> {
        self.db.run_command(doc! { "ping": 1 }).await.map(|_| ()).map_err(ctx("pinging MongoDB"))
    }

    pub(crate) fn conversations(&self) -> Collection<Document> {
        self.db.collection(collections::CONVERSATIONS)
    }

    pub(crate) fn messages(&self) -> Collection<Document> {
        self.db.collection(collections::MESSAGES)
    }

    pub(crate) fn contacts(&self) -> Collection<Document> {
        self.db.collection(collections::CONTACTS)
    }

    pub(crate) fn followups(&self) -> Collection<Document> {
        self.db.collection(collections::FOLLOWUPS)
    }

    pub(crate) fn activity(&self) -> Collection<Document> {
        self.db.collection(collections::ACTIVITY)
    }

    pub(crate) fn notes(&self) -> Collection<Document> {
        self.db.collection(collections::NOTES)
    }

    pub(crate) fn state(&self) -> Collection<Document> {
        self.db.collection(collections::STATE)
    }
}

#[async_trait]
impl Store for MongoStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.ping_server().await
    }
}
