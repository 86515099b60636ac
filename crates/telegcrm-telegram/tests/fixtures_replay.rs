//! Every real Bot API update of the fixtures (`crates/telegcrm-testkit/fixtures/telegram/
//! bot_updates/`, taken from the test suites of six Telegram libraries and Telegram's docs; see
//! its MANIFEST.md) through what the webhook runs: each body parses (no error), and each update
//! of a kind the CRM handles is kept, not skipped, and maps to an event — older shapes included.

use std::path::Path;

use chrono::{TimeZone, Utc};
use telegcrm_domain::event::InboundEvent;
use telegcrm_domain::{AvatarId, MessageType};
use telegcrm_telegram::map::map_update;
use telegcrm_telegram::{ALLOWED_UPDATES, MapContext, parse_webhook_body};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../telegcrm-testkit/fixtures/telegram/bot_updates");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("the fixtures folder")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("read")))
        .collect();
    out.sort();
    out
}

#[test]
fn every_fixture_update_of_a_handled_kind_is_kept_and_maps() {
    let owner = AvatarId::new();
    let ctx = MapContext { owner, bot_id: Some(7_000_000_001), business_user_id: None };
    let now = Utc.timestamp_opt(1_700_000_000, 0).single().expect("time");
    let all = fixtures();
    assert!(all.len() >= 50, "{} fixtures", all.len());
    let mut dropped = Vec::new();
    let mut kept = 0;
    for (name, bytes) in &all {
        let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        let handled = value.as_object().is_some_and(|o| o.keys().any(|k| ALLOWED_UPDATES.contains(&k.as_str())));
        match parse_webhook_body(bytes) {
            Err(e) => panic!("{name}: the webhook would answer 400: {e}"),
            Ok(Some(update)) => {
                let _ = map_update(&update, &ctx, now);
                kept += 1;
            }
            Ok(None) if handled => dropped.push(name.clone()),
            Ok(None) => {}
        }
    }
    assert!(dropped.is_empty(), "updates of handled kinds dropped whole: {dropped:?}");
    assert!(kept >= 30, "{kept} kept");
}

#[test]
fn a_document_in_the_older_shape_without_file_unique_id_is_captured_with_its_file() {
    let bytes = fixtures().into_iter().find(|(n, _)| n == "tgdocs__message_document.json").expect("the fixture").1;
    let update = parse_webhook_body(&bytes).expect("parses").expect("kept, not skipped");
    let ctx = MapContext { owner: AvatarId::new(), bot_id: Some(7_000_000_001), business_user_id: None };
    let InboundEvent::Message(m) = map_update(&update, &ctx, Utc::now()) else { panic!("a message") };
    assert_eq!(m.message_type, MessageType::Document);
    let media = m.media.expect("the file");
    assert_eq!(media.file_id, "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX");
    assert_eq!(media.file_unique_id, "", "Telegram did not send one");
    assert_eq!(
        (media.file_name.as_deref(), media.mime_type.as_deref(), media.file_size),
        (Some("Testfile.pdf"), Some("application/pdf"), Some(536_392))
    );
}

/// What the CRM stores from each fixture, one block per file, compared with
/// `tests/fixtures_stored.txt`: each single update of `bot_updates/` and each of our own flows
/// (`flows/`, arrays of updates, update by update) for an owner of its own, through what the
/// webhook runs (`handle_webhook_body`), on each store: memory, SQLite, and Mongo (FerretDB;
/// skipped without `MONGODB_URI` locally, required under `CI=true`). Run with `UPDATE_GOLDEN=1`
/// to rewrite the file after a change of what is stored, and read its diff before committing.
#[tokio::test]
async fn what_each_fixture_stores_is_as_recorded_on_every_store() {
    use std::sync::Arc;

    let memory = replay_all(Arc::new(telegcrm_store_memory::MemoryStore::new())).await;
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures_stored.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &memory).expect("write the golden file");
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_default();
    same(&want, &memory, "memory");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = telegcrm_store_sqlite::SqliteStore::open(&dir.path().join("crm.db")).expect("SQLite");
    same(&want, &replay_all(Arc::new(sqlite)).await, "SQLite");
    match std::env::var("MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => {
            let db = format!("telegcrm_test_{}", uuid::Uuid::new_v4().simple());
            let mongo = telegcrm_store_mongo::MongoStore::connect(&uri, &db).await.expect("Mongo");
            same(&want, &replay_all(Arc::new(mongo)).await, "Mongo");
        }
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("MONGODB_URI is not set, and CI=true: the replay must run on Mongo too")
        }
        _ => eprintln!("skipping the Mongo replay: MONGODB_URI is not set (`cargo xtask test` starts FerretDB)"),
    }
}

fn same(want: &str, got: &str, store: &str) {
    if want != got {
        let first = want.lines().zip(got.lines()).position(|(a, b)| a != b).unwrap_or(want.lines().count().min(got.lines().count()));
        panic!(
            "on {store}, what the fixtures store differs from line {} of tests/fixtures_stored.txt:\n  was: {:?}\n  now: {:?}\n(UPDATE_GOLDEN=1 rewrites it)",
            first + 1,
            want.lines().nth(first),
            got.lines().nth(first)
        );
    }
}

/// Every fixture and flow replayed into `store`, each for an owner of its own.
async fn replay_all(store: std::sync::Arc<dyn telegcrm_domain::ports::Store>) -> String {
    let mut out = String::new();
    for (name, bytes) in fixtures() {
        out.push_str(&replay(store.clone(), &name, &[bytes]).await);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../telegcrm-testkit/fixtures/telegram/flows");
    let mut flows: Vec<_> = std::fs::read_dir(&dir).expect("the flows folder").flatten().map(|e| e.path()).collect();
    flows.retain(|p| p.extension().is_some_and(|x| x == "json"));
    flows.sort();
    assert!(flows.len() >= 5, "{flows:?}");
    for path in flows {
        let updates: Vec<serde_json::Value> = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("a JSON array");
        let bodies: Vec<Vec<u8>> = updates.iter().map(|u| serde_json::to_vec(u).expect("json")).collect();
        let name = format!("flows/{}", path.file_name().expect("name").to_string_lossy());
        out.push_str(&replay(store.clone(), &name, &bodies).await);
    }
    out
}

/// Replays `bodies` in order into `store` for a new owner and describes what each did and what
/// the owner's CRM holds at the end (messages in the order they were sent).
async fn replay(store: std::sync::Arc<dyn telegcrm_domain::ports::Store>, name: &str, bodies: &[Vec<u8>]) -> String {
    use std::fmt::Write as _;
    use std::sync::Arc;

    use telegcrm_domain::ports::ConversationFilter;
    use telegcrm_domain::{CrmService, PageRequest};
    use telegcrm_telegram::{TelegramIngest, handle_webhook_body};

    let owner = AvatarId::new();
    let clock = Arc::new(telegcrm_testkit::clock::ManualClock::at(Utc.timestamp_opt(1_700_000_000, 0).single().expect("time")));
    let service = CrmService::new(store).with_clock(clock);
    let ingest = TelegramIngest::new(service.clone(), Some(owner), Some(7_000_000_001));
    let mut out = format!("## {name}\n");
    for bytes in bodies {
        let value: serde_json::Value = serde_json::from_slice(bytes).expect("JSON");
        let kind = value.as_object().and_then(|o| o.keys().find(|k| *k != "update_id").cloned()).unwrap_or_default();
        match handle_webhook_body(&ingest, bytes).await {
            Ok(Some(outcome)) => {
                let r = outcome.report;
                let counts = [
                    ("messages", r.messages_stored),
                    ("duplicates", r.duplicates),
                    ("edits", r.edits_applied),
                    ("deletions", r.deletions_applied),
                    ("reactions", r.reactions_applied),
                    ("chat changes", r.chat_changes),
                    ("connections", r.connections),
                    ("ignored", r.ignored),
                ];
                let said: Vec<String> = counts.iter().filter(|(_, n)| *n > 0).map(|(what, n)| format!("{what} {n}")).collect();
                let _ = writeln!(out, "{kind}: {}", if said.is_empty() { "nothing".to_owned() } else { said.join(", ") });
            }
            Ok(None) => {
                let _ = writeln!(out, "{kind}: skipped");
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }
    let page = PageRequest::first(100).expect("page");
    let mut convs = service.list_conversations(owner, &ConversationFilter::default(), &page).await.expect("list").items;
    convs.sort_by_key(|c| c.telegram_chat_id);
    for c in convs {
        let mut line = format!(
            "chat {} {} {:?} status {} priority {} unread {}",
            c.telegram_chat_id,
            c.chat_type.as_str(),
            c.title.as_deref().unwrap_or(""),
            c.status.as_str(),
            c.priority.as_str(),
            c.unread_count
        );
        if let Some(b) = &c.business_connection_id {
            let _ = write!(line, " business {b}");
        }
        if !c.chat_state.is_empty() {
            // Conversation ids are new each run: say only that the link is there.
            let mut state = c.chat_state.clone();
            let linked = state.migrated_to_conversation_id.take().is_some() | state.migrated_from_conversation_id.take().is_some();
            let _ = write!(line, " {}{}", serde_json::to_string(&state).expect("json"), if linked { " linked" } else { "" });
        }
        let _ = writeln!(out, "{line}");
        let mut messages = service.messages(owner, c.id, &page).await.expect("messages").items;
        messages.sort_by_key(|m| (m.sent_at, m.telegram_message_id));
        for m in messages {
            let mut line = format!(
                "  message {} {} {} {:?}",
                m.telegram_message_id,
                m.direction.as_str(),
                m.message_type.as_str(),
                m.content.chars().take(100).collect::<String>()
            );
            if let Some(f) = &m.media {
                let _ = write!(line, " media {} {}", f.mime_type.as_deref().unwrap_or("-"), f.file_size.unwrap_or(0));
            }
            if let Some(e) = m.edited_at {
                let _ = write!(line, " edited {}", e.timestamp());
            }
            if m.deleted_at.is_some() {
                line.push_str(" deleted");
            }
            if !m.details.is_empty() {
                let _ = write!(line, " {}", serde_json::to_string(&m.details).expect("json"));
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out.push('\n');
    out
}
