//! # telegcrm-store-mongo
//!
//! Every Telegcrm store port on MongoDB 4.4+ (standalone, replica set or sharded cluster) and on
//! FerretDB 1.24. It uses only what both support: no transactions, no `$text`, no `$lookup`, no
//! aggregation. Ingest is idempotent and safe with several Telegcrm instances writing at once:
//! unique indexes decide which writer stores a message, conversation or contact, and only the
//! writer that stored a message applies its counters, with atomic operators (`$setOnInsert`,
//! `$inc`, `$max`, conditional updates). See `docs/operations.md` for the collections and indexes.

mod codec;
mod contacts;
mod conversations;
mod error;
mod followups;
mod indexes;
mod ingest;
mod lock;
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
    /// Connects to `uri`, uses `database`, checks the server answers and creates the indexes
    /// (idempotent: existing indexes are left as they are).
    pub async fn connect(uri: &str, database: &str) -> Result<Self, StoreError> {
        let mut options = ClientOptions::parse(uri).await.map_err(ctx("parsing MONGODB_URI"))?;
        if options.app_name.is_none() {
            options.app_name = Some("telegcrm".into());
        }
        let client = Client::with_options(options).map_err(ctx("creating the MongoDB client"))?;
        let db = client.database(database);
        let build = db.run_command(doc! { "buildInfo": 1 }).await.map_err(ctx("asking MongoDB for its build"))?;
        // FerretDB's updates are not atomic (see `lock`); MongoDB's are.
        let needs_write_lock = build.contains_key("ferretdbVersion");
        let store = Self { db, needs_write_lock };
        store.ping_server().await?;
        indexes::create_all(&store.db).await?;
        Ok(store)
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
