//! `import_telegram_export` over the real Telegram Desktop samples
//! (`../shared/fixtures/telegram/desktop_export/`) and hand-built exports of what they lack,
//! through the real service into the memory store and the embedded SQLite store on files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use telegcrm_domain::ports::{ContactFilter, ConversationFilter};
use telegcrm_domain::{
    AvatarId, ChatType, Contact, Conversation, ConversationStatus, CrmService, Direction, Message, MessageType, PageRequest, Priority,
};
use telegcrm_import::{ImportError, Options, Summary, import_telegram_export};
use telegcrm_store_memory::MemoryStore;
use telegcrm_store_sqlite::SqliteStore;
use telegcrm_testkit::fixtures;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/telegram/desktop_export").join(name)
}

const DM: &str = "chat-analytics__personal_chat_DM_2A_7M.json";
const FULL: &str = "chat-analytics__full_export_chats_list_MultiChat_2C_6M.json";
const CHANNEL: &str = "tg2md__private_channel_2021_result.json";

fn memory() -> CrmService {
    CrmService::new(Arc::new(MemoryStore::new()))
}

fn options(owner: AvatarId, me: Option<i64>) -> Options {
    Options { owner, me, timezone: Some(chrono_tz::UTC) }
}

async fn import(service: &CrmService, path: &Path, options: &Options) -> Result<Summary, ImportError> {
    import_telegram_export(service, path, options, &mut |_| {}).await
}

async fn conversations(service: &CrmService, owner: AvatarId) -> Vec<Conversation> {
    let page = PageRequest::first(200).expect("limit");
    let mut list = service.list_conversations(owner, &ConversationFilter::default(), &page).await.expect("list").items;
    list.sort_by_key(|c| c.telegram_chat_id);
    list
}

async fn messages(service: &CrmService, owner: AvatarId, c: &Conversation) -> Vec<Message> {
    let page = PageRequest::first(200).expect("limit");
    let mut list = service.messages(owner, c.id, &page).await.expect("messages").items;
    list.sort_by_key(|m| m.telegram_message_id);
    list
}

async fn contacts(service: &CrmService, owner: AvatarId) -> Vec<Contact> {
    let page = PageRequest::first(200).expect("limit");
    let mut list = service.list_contacts(owner, &ContactFilter::default(), &page).await.expect("contacts").items;
    list.sort_by_key(|c| c.telegram_id);
    list
}

/// Everything a user sees of an owner's CRM, without the generated ids and clocks.
async fn state(service: &CrmService, owner: AvatarId) -> Vec<String> {
    let mut out = Vec::new();
    for c in conversations(service, owner).await {
        out.push(format!(
            "conversation {} {:?} {:?} {:?} unread={} count={} last={} preview={:?} status={:?} priority={:?}",
            c.telegram_chat_id,
            c.business_connection_id,
            c.chat_type,
            c.title,
            c.unread_count,
            c.message_count,
            c.last_message_at,
            c.last_message_preview,
            c.status,
            c.priority
        ));
        for m in messages(service, owner, &c).await {
            out.push(format!(
                "  {} {:?} {:?} {:?} {:?} {} read={} edited={:?}",
                m.telegram_message_id, m.direction, m.message_type, m.from_name, m.content, m.sent_at, m.is_read, m.edited_at
            ));
        }
    }
    for c in contacts(service, owner).await {
        out.push(format!("contact {} {:?} {:?} total={}", c.telegram_id, c.first_name, c.last_name, c.total_messages));
    }
    out
}

#[tokio::test]
async fn a_single_personal_chat_imports_with_the_owners_messages_told_apart() {
    let service = memory();
    let owner = AvatarId::new();
    // Alice (300000000) made the export; Bob is the other side.
    let summary = import(&service, &sample(DM), &options(owner, Some(300_000_000))).await.expect("import");
    assert_eq!((summary.chats, summary.messages_read, summary.stored, summary.already_stored), (1, 8, 8, 0));
    let list = conversations(&service, owner).await;
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!((c.telegram_chat_id, c.chat_type, c.title.as_deref()), (700_000_000, ChatType::Private, Some("Bob")));
    assert_eq!((c.message_count, c.unread_count), (8, 0), "history arrives read");
    let ms = messages(&service, owner, c).await;
    assert!(ms.iter().all(|m| m.is_read));
    let by_id = |id| ms.iter().find(|m| m.telegram_message_id == id).expect("message");
    assert_eq!(by_id(2675).content, "Bob joined Telegram");
    assert_eq!(by_id(2675).message_type, MessageType::Service);
    assert_eq!((by_id(3644).direction, by_id(3644).content.as_str()), (Direction::Incoming, "https://google.com 👀"));
    assert_eq!((by_id(3645).direction, by_id(3645).content.as_str()), (Direction::Outgoing, "hello world"));
    assert_eq!(by_id(3662).sent_at.timestamp(), 1_652_135_033);
    assert_eq!(by_id(3672).message_type, MessageType::Photo);
    // Bob is the contact; Alice is the owner, not a contact.
    let people: Vec<i64> = contacts(&service, owner).await.iter().map(|c| c.telegram_id).collect();
    assert_eq!(people, [700_000_000]);
    assert_eq!(summary.contacts, 1);
}

#[tokio::test]
async fn a_full_account_export_imports_every_chat_with_bot_api_ids() {
    let service = memory();
    let owner = AvatarId::new();
    let summary = import(&service, &sample(FULL), &options(owner, None)).await.expect("import");
    assert_eq!((summary.chats, summary.messages_read, summary.stored), (2, 6, 6));
    let list = conversations(&service, owner).await;
    let ids: Vec<(i64, ChatType)> = list.iter().map(|c| (c.telegram_chat_id, c.chat_type)).collect();
    assert_eq!(ids, [(-700_000_002, ChatType::Group), (700_000_001, ChatType::Private)]);
    let group = &list[0];
    assert_eq!((group.title.as_deref(), group.message_count), (Some("Chat Two"), 4));
    // Nobody in these chats is the exporting account (100000001): all incoming.
    for c in &list {
        assert!(messages(&service, owner, c).await.iter().all(|m| m.direction == Direction::Incoming));
    }
    // Group senders become contacts, as live capture makes them.
    let people: Vec<i64> = contacts(&service, owner).await.iter().map(|c| c.telegram_id).collect();
    assert!(people.contains(&800_000_000) && people.contains(&900_000_000), "{people:?}");
}

#[tokio::test]
async fn an_old_channel_export_needs_a_timezone_and_then_imports_whole() {
    let service = memory();
    let owner = AvatarId::new();
    let err = import(&service, &sample(CHANNEL), &Options { timezone: None, ..options(owner, None) }).await.expect_err("no timezone");
    let text = err.to_string();
    assert!(text.contains("--timezone") && text.contains(CHANNEL), "{text}");

    let berlin = Options { timezone: Some(chrono_tz::Europe::Berlin), ..options(owner, None) };
    let summary = import(&service, &sample(CHANNEL), &berlin).await.expect("import");
    assert_eq!((summary.chats, summary.messages_read, summary.stored), (1, 19, 19));
    let list = conversations(&service, owner).await;
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!((c.telegram_chat_id, c.chat_type), (-1_001_292_077_344, ChatType::Channel));
    let ms = messages(&service, owner, c).await;
    // Channel posts speak as the channel; the types the sample carries are all recognised.
    assert!(ms.iter().filter(|m| m.message_type != MessageType::Service).all(|m| m.from_name.as_deref() == Some("test")));
    for t in [MessageType::Photo, MessageType::Voice, MessageType::Audio, MessageType::Document, MessageType::Text] {
        assert!(ms.iter().any(|m| m.message_type == t), "no {t:?} in {ms:#?}");
    }
    assert_eq!(ms.iter().filter(|m| m.edited_at.is_some()).count(), 5);
    // Local times of a Berlin computer: 2021 summer is UTC+2.
    let first = ms.iter().find(|m| m.message_type == MessageType::Service).expect("service");
    assert!(first.content.contains("created the channel"), "{}", first.content);
}

#[tokio::test]
async fn importing_twice_changes_nothing() {
    let service = memory();
    let owner = AvatarId::new();
    import(&service, &sample(DM), &options(owner, Some(300_000_000))).await.expect("first");
    let before = state(&service, owner).await;
    let again = import(&service, &sample(DM), &options(owner, Some(300_000_000))).await.expect("again");
    assert_eq!((again.stored, again.already_stored), (0, 8));
    assert_eq!(state(&service, owner).await, before);
}

/// A chat object with its keys in the exporter's order (`name`, `type`, `id`, `messages`).
fn chat_json(name: &str, kind: &str, id: i64, messages: &[serde_json::Value]) -> String {
    let messages: Vec<String> = messages.iter().map(serde_json::Value::to_string).collect();
    format!(r#"{{"name": {}, "type": "{kind}", "id": {id}, "messages": [{}]}}"#, serde_json::Value::from(name), messages.join(",\n"))
}

/// A generated export of `chats` personal chats with `per_chat` messages each.
fn generated(dir: &Path, chats: i64, per_chat: i64) -> PathBuf {
    let mut list = Vec::new();
    for c in 0..chats {
        let messages: Vec<serde_json::Value> = (0..per_chat)
            .map(|i| {
                let from = if i % 3 == 0 { 1 } else { 1000 + c };
                serde_json::json!({"id": i + 1, "type": "message", "date_unixtime": (1_600_000_000 + c * 10_000 + i).to_string(),
                    "from": if from == 1 { "Me".to_owned() } else { format!("Person {c}") }, "from_id": format!("user{from}"),
                    "text": format!("message {i} of chat {c} \\x0B")})
            })
            .collect();
        list.push(chat_json(&format!("Person {c}"), "personal_chat", 1000 + c, &messages));
    }
    let text = format!(
        r#"{{"about": "generated", "personal_information": {{"user_id": 1, "first_name": "Me"}}, "chats": {{"about": "", "list": [{}]}}}}"#,
        list.join(",\n")
    );
    // The exporter's invalid `\xNN` escape, as it writes it.
    let text = text.replace("\\\\x0B", "\\x0B");
    let path = dir.join("result.json");
    std::fs::write(&path, text).expect("write");
    path
}

#[tokio::test]
async fn an_import_stopped_half_way_and_run_again_ends_like_one_clean_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = generated(dir.path(), 4, 3_000);
    let owner = AvatarId::new();

    let clean = memory();
    let summary = import(&clean, dir.path(), &options(owner, None)).await.expect("clean import of the folder");
    assert_eq!((summary.chats, summary.stored, summary.contacts), (4, 12_000, 4));

    // The same file cut half way (as if the import was killed, or the download broke): the
    // batches before the break are stored, and the error says where it broke.
    let bytes = std::fs::read(&path).expect("read");
    let cut = dir.path().join("cut.json");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let resumed = memory();
    let err = import(&resumed, &cut, &options(owner, None)).await.expect_err("truncated");
    assert!(err.to_string().contains("EOF"), "{err}");
    let partial: u64 = conversations(&resumed, owner).await.iter().map(|c| c.message_count).sum();
    assert!(partial > 0 && partial < 12_000, "{partial}");
    let rest = import(&resumed, &path, &options(owner, None)).await.expect("run again");
    assert_eq!(rest.stored + rest.already_stored, 12_000);
    assert_eq!(state(&resumed, owner).await, state(&clean, owner).await);

    let text = &messages(&clean, owner, &conversations(&clean, owner).await[0]).await[0].content;
    assert!(text.ends_with('\u{b}'), "the \\x0B escape is read as the control character: {text:?}");
}

#[tokio::test]
async fn history_does_not_make_a_conversation_look_new() {
    let service = memory();
    let owner = fixtures::owner();
    let bob = fixtures::user(700_000_000, "Bob", Some("Stone"), Some("bob"));
    // Live through the owner's Business connection: Bob wrote in 2025, the owner archived the
    // conversation.
    let chat = fixtures::business_chat(owner, &bob, "bc-1");
    service.ingest(vec![fixtures::business_connection(owner, "bc-1", fixtures::at(0))], vec![]).await.expect("connection");
    let live = chrono::DateTime::from_timestamp(1_750_000_000, 0).expect("time");
    service.ingest(vec![fixtures::msg(fixtures::incoming(&chat, 9_000, "thanks, all good", live))], vec![]).await.expect("live");
    let c = conversations(&service, owner).await.remove(0);
    service.set_status(&telegcrm_domain::Access::owner(owner), c.id, ConversationStatus::Archived).await.expect("archive");

    // The export (2019-2022) has older messages, one of them "urgent".
    let dir = tempfile::tempdir().expect("tempdir");
    let export = chat_json(
        "Bob",
        "personal_chat",
        700_000_000,
        &[
            serde_json::json!({"id": 10, "type": "message", "date_unixtime": "1600000000", "from": "Bob", "from_id": "user700000000", "text": "URGENT: call me asap"}),
            serde_json::json!({"id": 11, "type": "message", "date_unixtime": "1600000100", "from": "Ann", "from_id": "user1", "text": "on it"}),
        ],
    );
    std::fs::write(dir.path().join("result.json"), export).expect("write");
    let summary = import(&service, dir.path(), &options(owner, Some(1))).await.expect("import");
    assert_eq!(summary.stored, 2);

    let after = conversations(&service, owner).await.remove(0);
    assert_eq!(after.id, c.id, "the same conversation");
    assert_eq!((after.status, after.priority, after.unread_count), (ConversationStatus::Archived, c.priority, c.unread_count));
    assert_ne!(after.priority, Priority::Urgent);
    assert_eq!((after.message_count, after.last_message_at), (3, live));
    assert_eq!(after.last_message_preview, c.last_message_preview);
    // The live profile is kept: the export's display name does not overwrite it.
    let bob_contact = contacts(&service, owner).await.into_iter().find(|p| p.telegram_id == 700_000_000).expect("Bob");
    assert_eq!((bob_contact.first_name.as_str(), bob_contact.username.as_deref()), ("Bob", Some("bob")));
    assert_eq!(bob_contact.total_messages, 3);

    // Newer history than anything stored does move the conversation, as live capture would.
    let newer = chat_json(
        "Bob",
        "personal_chat",
        700_000_000,
        &[serde_json::json!(
        {"id": 9_001, "type": "message", "date_unixtime": "1760000000", "from": "Ann", "from_id": "user1", "text": "see you monday"})],
    );
    std::fs::write(dir.path().join("result.json"), newer).expect("write");
    import(&service, dir.path(), &options(owner, Some(1))).await.expect("newer");
    let moved = conversations(&service, owner).await.remove(0);
    assert_eq!((moved.status, moved.last_message_preview.as_deref()), (ConversationStatus::Waiting, Some("see you monday")));
}

#[tokio::test]
async fn a_personal_chat_imported_after_the_business_connection_joins_the_live_conversation() {
    let service = memory();
    let owner = fixtures::owner();
    let bob = fixtures::user(700_000_000, "Bob", None, None);
    let chat = fixtures::business_chat(owner, &bob, "bc-1");
    service.ingest(vec![fixtures::business_connection(owner, "bc-1", fixtures::at(0))], vec![]).await.expect("connection");
    // Message 3673 arrives live first, then the export brings it again with its history.
    let sent = chrono::DateTime::from_timestamp(1_654_898_900, 0).expect("time");
    service.ingest(vec![fixtures::msg(fixtures::incoming(&chat, 3_673, "live copy", sent))], vec![]).await.expect("live");

    let summary = import(&service, &sample(DM), &options(owner, Some(300_000_000))).await.expect("import");
    assert_eq!((summary.stored, summary.already_stored), (7, 1), "the message that came both ways is stored once");
    let list = conversations(&service, owner).await;
    assert_eq!(list.len(), 1, "one conversation: {list:#?}");
    assert_eq!((list[0].business_connection_id.as_deref(), list[0].message_count), (Some("bc-1"), 8));
}

#[tokio::test]
async fn a_personal_chat_imported_before_the_business_connection_is_joined_by_live_capture() {
    let dir = tempfile::tempdir().expect("tempdir");
    for service in [memory(), CrmService::new(Arc::new(SqliteStore::open(&dir.path().join("crm.db")).expect("open")))] {
        let owner = fixtures::owner();
        let summary = import(&service, &sample(DM), &options(owner, Some(300_000_000))).await.expect("import");
        assert_eq!(summary.stored, 8);
        // The bot's own chat with Bob is not the owner's chat with Bob.
        let bob = fixtures::user(700_000_000, "Bob", None, None);
        service
            .ingest(vec![fixtures::msg(fixtures::incoming(&fixtures::private_chat(owner, &bob), 1, "/start", fixtures::at(0)))], vec![])
            .await
            .expect("bot chat");
        assert_eq!(conversations(&service, owner).await.len(), 2);

        // Then the owner connects the bot with Telegram Business: the same chat arrives live,
        // with a message the export had (3673) and a new one.
        let chat = fixtures::business_chat(owner, &bob, "bc-9");
        let sent = chrono::DateTime::from_timestamp(1_654_898_900, 0).expect("time");
        let later = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let report = service
            .ingest(
                vec![
                    fixtures::business_connection(owner, "bc-9", fixtures::at(0)),
                    fixtures::msg(fixtures::incoming(&chat, 3_673, "live copy", sent)),
                    fixtures::msg(fixtures::incoming(&chat, 9_000, "and now live", later)),
                ],
                vec![],
            )
            .await
            .expect("live");
        assert_eq!((report.messages_stored, report.duplicates), (1, 1), "the message that came both ways is stored once");
        let list = conversations(&service, owner).await;
        assert_eq!(list.len(), 2, "still the bot's chat and one chat with Bob: {list:#?}");
        let owners_chat = list.iter().find(|c| c.business_connection_id.is_some()).expect("the owner's chat");
        assert_eq!((owners_chat.message_count, owners_chat.unread_count), (9, 1));
        assert_eq!(owners_chat.last_message_preview.as_deref(), Some("and now live"));
        // Importing again after the connection changes nothing.
        let again = import(&service, &sample(DM), &options(owner, Some(300_000_000))).await.expect("again");
        assert_eq!((again.stored, again.already_stored), (0, 8));
        assert_eq!(conversations(&service, owner).await.len(), 2);
    }
}

#[tokio::test]
async fn the_embedded_store_on_disk_takes_an_import_and_its_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = generated(dir.path(), 3, 2_500);
    let owner = AvatarId::new();
    let db = dir.path().join("crm");
    {
        let service = CrmService::new(Arc::new(SqliteStore::open(&db).expect("open")));
        let summary = import(&service, &export, &options(owner, None)).await.expect("import");
        assert_eq!(summary.stored, 7_500);
    }
    // Reopened from its files: everything is there, and a replay stores nothing twice.
    let service = CrmService::new(Arc::new(SqliteStore::open(&db).expect("reopen")));
    let before = state(&service, owner).await;
    assert_eq!(conversations(&service, owner).await.iter().map(|c| c.message_count).sum::<u64>(), 7_500);
    let again = import(&service, &export, &options(owner, None)).await.expect("again");
    assert_eq!((again.stored, again.already_stored), (0, 7_500));
    assert_eq!(state(&service, owner).await, before);
    let report = service.check(false).await.expect("check");
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

#[tokio::test]
async fn what_is_not_an_export_gets_a_clear_error() {
    let service = memory();
    let owner = AvatarId::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let err = import(&service, &dir.path().join("missing.json"), &options(owner, None)).await.expect_err("missing");
    assert!(matches!(err, ImportError::Open { .. }), "{err}");
    let err = import(&service, dir.path(), &options(owner, None)).await.expect_err("a folder without result.json");
    assert!(err.to_string().contains("result.json"), "{err}");
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "[1, 2, 3]").expect("write");
    assert!(matches!(import(&service, &junk, &options(owner, None)).await, Err(ImportError::Format { .. })));
    assert!(conversations(&service, owner).await.is_empty());
}
