//! When ingest returns, the batch survives SIGKILL: a child process ingests and reports each
//! acknowledged message; the parent kills it mid-stream and looks for every one of them.

// Tests: a failed expectation should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use telegcrm_domain::ports::{ConversationFilter, ConversationStore, MessageStore};
use telegcrm_domain::{AvatarId, CrmService, PageRequest};
use telegcrm_store_sqlite::SqliteStore;
use telegcrm_testkit::fixtures::{at, incoming, msg, private_chat, zoe};
use uuid::Uuid;

const CHILD_ENV: &str = "TELEGCRM_SQLITE_KILL_TEST_DIR";
const OWNER: Uuid = Uuid::from_u128(0x0190_a8f2_7c4e_7d3a_9b1e_2f4c_6d8e_0a1b);
const BATCH: i64 = 20;

/// The child: ingest batches until killed, printing `ACK <telegram id>` after each returns Ok.
fn child(dir: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let store = Arc::new(SqliteStore::open(std::path::Path::new(dir)).unwrap());
        let crm = CrmService::new(store);
        let chat = private_chat(AvatarId::from_uuid(OWNER), &zoe());
        for b in 0..100_000i64 {
            let events = (0..BATCH).map(|k| {
                let n = b * BATCH + k + 1;
                msg(incoming(&chat, n, &format!("message number {n} of the stream"), at(n)))
            });
            crm.ingest(events.collect(), vec![("offset".into(), b.to_string())]).await.unwrap();
            let ids: Vec<String> = (0..BATCH).map(|k| format!("ACK {}", b * BATCH + k + 1)).collect();
            #[allow(clippy::print_stdout)]
            {
                println!("{}", ids.join("\n"));
            }
        }
    });
}

#[test]
fn acknowledged_batches_survive_sigkill() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        child(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "acknowledged_batches_survive_sigkill", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(proc.stdout.take().unwrap()).lines();
    let mut acked: Vec<i64> = Vec::new();
    // Let it run for a while, then kill it without warning while it keeps ingesting.
    while acked.len() < 3_000 {
        let Some(line) = lines.next() else { break };
        if let Some(n) = line.unwrap().strip_prefix("ACK ") {
            acked.push(n.parse().unwrap());
        }
    }
    proc.kill().unwrap(); // SIGKILL on Unix
    // Lines already written were acknowledged before the kill.
    for line in lines.map_while(Result::ok) {
        if let Some(n) = line.strip_prefix("ACK ") {
            acked.push(n.parse().unwrap());
        }
    }
    let status = proc.wait().unwrap();
    assert!(!status.success(), "the child must have been killed, not finished");
    assert!(acked.len() >= 3_000, "the child acknowledged only {} messages", acked.len());

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = SqliteStore::open(dir.path()).unwrap();
        let owner = AvatarId::from_uuid(OWNER);
        let convs = store.list_conversations(owner, &ConversationFilter::default(), &PageRequest::default()).await.unwrap();
        assert_eq!(convs.items.len(), 1);
        let conv = &convs.items[0];
        for n in &acked {
            assert!(store.find_message(owner, conv.id, *n).await.unwrap().is_some(), "acknowledged message {n} was lost");
        }
        assert!(conv.message_count >= acked.len() as u64);
    });
}
