//! Export → restore → export through the real service, on the memory store and the embedded
//! SQLite store on files: the same bytes, in NDJSON and in holons; restoring again stores
//! nothing; a restore cut short and run again ends as one clean run; conflicts are refused; an
//! export holds one owner's data only; CSV defuses formulas.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Duration;
use telegcrm_domain::service::{ContactUpdate, ConversationUpdate, NewFollowUp};
use telegcrm_domain::{Access, AvatarId, ContactCategory, ConversationStatus, CrmService, Priority, Record, RelationshipStatus};
use telegcrm_export::{Format, RestoreError, RestoreOptions, RestoreSummary, Table, WriteSink, export, restore};
use telegcrm_store_memory::MemoryStore;
use telegcrm_store_sqlite::SqliteStore;
use telegcrm_testkit::fixtures::{self, at};

fn memory() -> CrmService {
    CrmService::new(Arc::new(MemoryStore::new()))
}

fn sqlite(dir: &Path, name: &str) -> CrmService {
    CrmService::new(Arc::new(SqliteStore::open(&dir.join(name)).expect("open sqlite")))
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/telegram/desktop_export").join(name)
}

/// Every kind of record and state the CRM keeps: live chats of each type, photos and files,
/// edits and deletions, hand-set priority, status, tags, summary, custom fields, contact
/// details, follow-ups in every state, the real Telegram Desktop samples; and another owner's
/// data that must not leak into the first's export.
async fn populate(service: &CrmService, owner: AvatarId) {
    use fixtures::{
        alexey, business_chat, business_connection, deletion, document, edit, from, group_chat, incoming, mariana, msg, outgoing, photo,
        private_chat, user, xiaolong, zoe,
    };
    let zoe_chat = private_chat(owner, &zoe());
    let group = group_chat(owner, -100_500, "Suppliers <b>&amp;</b> partners");
    let biz = business_chat(owner, &mariana(), "bc-1");
    let hostile = user(777, "=HYPERLINK(\"http://evil\")", Some("+1"), Some("evil"));
    let hostile_chat = private_chat(owner, &hostile);
    let first = incoming(&zoe_chat, 1, "Hello, is the 😀 offer still on?\nSecond line", at(1));
    service
        .ingest(
            vec![
                msg(first.clone()),
                msg(outgoing(&zoe_chat, 2, "Yes — until Friday.", at(2))),
                msg(photo(&zoe_chat, 3, "the brochure", at(3))),
                msg(document(&zoe_chat, 4, "price list.pdf", "prices", at(4))),
                edit(&first, "Hello, is the offer still on? (edited)", at(5)),
                edit(&first, "Hello, is the offer still on? (edited twice)", at(6)),
                msg(from(incoming(&group, 10, "<script>alert(1)</script> urgent", at(7)), &alexey())),
                msg(from(incoming(&group, 11, "second in group", at(8)), &xiaolong())),
                msg(incoming(&biz, 20, "Business hello", at(9))),
                msg(outgoing(&biz, 21, "Business reply", at(10))),
                deletion(&biz, &[21], at(11)),
                msg(incoming(&hostile_chat, 30, "-1+1 @SUM(A1)", at(12))),
                business_connection(owner, "bc-1", at(0)),
            ],
            Vec::new(),
        )
        .await
        .expect("ingest");
    for sample_name in [
        "chat-analytics__full_export_chats_list_MultiChat_2C_6M.json",
        "chat-analytics__personal_chat_DM_2A_7M.json",
        "tg2md__private_channel_2021_result.json",
    ] {
        let options = telegcrm_import::Options { owner, me: Some(1_000_001), timezone: Some(chrono_tz::UTC) };
        telegcrm_import::import_telegram_export(service, &sample(sample_name), &options, &mut |_| {}).await.expect("import sample");
    }

    let page = telegcrm_domain::PageRequest::first(200).expect("limit");
    let conversations =
        service.list_conversations(owner, &telegcrm_domain::ports::ConversationFilter::default(), &page).await.expect("list").items;
    let zoe_conv = conversations.iter().find(|c| c.telegram_chat_id == zoe().id).expect("zoe's conversation");
    let group_conv = conversations.iter().find(|c| c.telegram_chat_id == -100_500).expect("group");
    let mut fields = serde_json::Map::new();
    fields.insert("deal".to_owned(), serde_json::json!({"stage": "proposal", "value": 1200.5, "won": false}));
    fields.insert("aaa".to_owned(), serde_json::json!(["x", 1, null]));
    service
        .update_conversation(
            &Access::owner(owner),
            zoe_conv.id,
            ConversationUpdate {
                priority: Some(Priority::Urgent),
                tags: Some(vec![fixtures::tag("vip"), fixtures::tag("q4")]),
                summary: Some(Some("Wants the \"bulk\" price".to_owned())),
                custom_fields: Some(fields),
                ..ConversationUpdate::default()
            },
        )
        .await
        .expect("update conversation");
    service.mark_read(&Access::owner(owner), zoe_conv.id).await.expect("read");
    service.set_status(&Access::owner(owner), group_conv.id, ConversationStatus::Archived).await.expect("archive");
    let contact = zoe_conv.contact_id.expect("zoe's contact");
    service
        .update_contact(
            &Access::owner(owner),
            contact,
            ContactUpdate {
                company: Some(Some("Acme, Inc.".to_owned())),
                email: Some(Some("zoe@example.com".to_owned())),
                notes: Some(Some("line one\nline \"two\", with commas".to_owned())),
                category: Some(Some(ContactCategory::Client)),
                relationship_status: Some(RelationshipStatus::Active),
                tags: Some(vec![fixtures::tag("vip")]),
                ..ContactUpdate::default()
            },
        )
        .await
        .expect("update contact");
    let due = service.now() + Duration::days(2);
    let open = NewFollowUp {
        conversation_id: zoe_conv.id,
        title: "Send the contract".to_owned(),
        description: Some("with the bulk price".to_owned()),
        due_at: due,
        priority: Some(Priority::High),
    };
    service.create_followup(&Access::owner(owner), open.clone()).await.expect("follow-up");
    let done = service
        .create_followup(&Access::owner(owner), NewFollowUp { title: "Call back".to_owned(), ..open.clone() })
        .await
        .expect("follow-up");
    service.complete_followup(&Access::owner(owner), done.id).await.expect("complete");
    let snoozed =
        service.create_followup(&Access::owner(owner), NewFollowUp { title: "Ping".to_owned(), ..open.clone() }).await.expect("follow-up");
    service.snooze_followup(&Access::owner(owner), snoozed.id, due + Duration::days(1)).await.expect("snooze");
    let overdue = NewFollowUp { title: "Overdue".to_owned(), due_at: service.now() - Duration::days(1), description: None, ..open };
    service.create_followup(&Access::owner(owner), overdue).await.expect("overdue follow-up");

    // Another owner's chat with the same people: not in the first owner's export.
    let other = AvatarId::new();
    let theirs = private_chat(other, &zoe());
    service.ingest(vec![msg(incoming(&theirs, 1, "SECRET of another tenant", at(3)))], Vec::new()).await.expect("other owner");
}

async fn export_bytes(service: &CrmService, owner: AvatarId, format: Format) -> Vec<u8> {
    let mut sink = WriteSink(Vec::new());
    export(service, owner, format, &mut sink).await.expect("export");
    sink.0
}

async fn restore_file(service: &CrmService, path: &Path, owner: Option<AvatarId>) -> Result<RestoreSummary, RestoreError> {
    restore(service, path, RestoreOptions { owner }, &mut |_| {}).await
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn records(ndjson: &[u8]) -> Vec<Record> {
    ndjson.split(|b| *b == b'\n').skip(1).filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).expect("record")).collect()
}

#[tokio::test]
async fn export_restore_export_is_byte_identical_on_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = fixtures::owner();
    let source = memory();
    populate(&source, owner).await;
    for format in [Format::Ndjson, Format::Holons] {
        let first = export_bytes(&source, owner, format).await;
        let path = write(dir.path(), "export", &first);
        let target = memory();
        let summary = restore_file(&target, &path, None).await.expect("restore");
        assert_eq!(summary.report.conflicts, 0, "{format}");
        assert_eq!(summary.report.already_stored, 0, "{format}");
        assert_eq!(summary.report.restored, summary.read.total(), "{format}");
        let second = export_bytes(&target, owner, format).await;
        assert!(first == second, "{format}: the second export differs from the first");
    }
}

#[tokio::test]
async fn export_restore_export_is_byte_identical_on_sqlite_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = fixtures::owner();
    let source = sqlite(dir.path(), "source.db");
    populate(&source, owner).await;
    let first = export_bytes(&source, owner, Format::Ndjson).await;
    let path = write(dir.path(), "export.ndjson", &first);
    {
        let target = sqlite(dir.path(), "target.db");
        restore_file(&target, &path, None).await.expect("restore");
    }
    // Read back from the file, by a new store.
    let reopened = sqlite(dir.path(), "target.db");
    let second = export_bytes(&reopened, owner, Format::Ndjson).await;
    assert!(first == second, "the export of the restored SQLite file differs");
    let holons = export_bytes(&source, owner, Format::Holons).await;
    let holons_path = write(dir.path(), "export.json", &holons);
    let from_holons = sqlite(dir.path(), "from-holons.db");
    restore_file(&from_holons, &holons_path, None).await.expect("restore holons");
    assert!(export_bytes(&from_holons, owner, Format::Ndjson).await == first, "holons restore to the same records");
}

#[tokio::test]
async fn an_export_holds_every_record_of_its_owner_only() {
    let owner = fixtures::owner();
    let source = memory();
    populate(&source, owner).await;
    let bytes = export_bytes(&source, owner, Format::Ndjson).await;
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert!(!text.contains("SECRET of another tenant"));
    let all = records(&bytes);
    assert!(all.iter().all(|r| r.owner() == owner));
    let count = |kind: &str| all.iter().filter(|r| r.kind() == kind).count();
    let page = telegcrm_domain::PageRequest::first(200).expect("limit");
    let conversations =
        source.list_conversations(owner, &telegcrm_domain::ports::ConversationFilter::default(), &page).await.expect("list").items;
    assert_eq!(count("conversation"), conversations.len());
    let messages: u64 = conversations.iter().map(|c| c.message_count).sum();
    assert_eq!(count("message") as u64, messages, "every message, deleted ones included");
    assert_eq!(count("followup"), 4);
    assert!(count("contact") >= 5);
    // Edits and deletion marks travel with their message.
    let edited = all.iter().find_map(|r| match r {
        Record::Message(m) if m.content.ends_with("(edited twice)") => Some(m),
        _ => None,
    });
    assert_eq!(edited.expect("the edited message").edits.len(), 2);
    assert!(all.iter().any(|r| matches!(r, Record::Message(m) if m.deleted_at.is_some())));
    // Each conversation's messages follow it.
    let mut current = None;
    for r in &all {
        match r {
            Record::Conversation(c) => current = Some(c.id),
            Record::Message(m) => assert_eq!(Some(m.conversation_id), current),
            _ => {}
        }
    }
    let header: serde_json::Value = serde_json::from_slice(bytes.split(|b| *b == b'\n').next().expect("header")).expect("json");
    assert_eq!(header, serde_json::json!({"kind": "export", "format": "telegcrm", "version": 1, "owner": owner.to_string()}));
}

#[tokio::test]
async fn holons_carry_the_oasis_fields() {
    let owner = fixtures::owner();
    let source = memory();
    populate(&source, owner).await;
    let bytes = export_bytes(&source, owner, Format::Holons).await;
    let holons: Vec<serde_json::Value> = serde_json::from_slice(&bytes).expect("a JSON array");
    let ndjson = records(&export_bytes(&source, owner, Format::Ndjson).await);
    assert_eq!(holons.len(), ndjson.len());
    for (h, r) in holons.iter().zip(&ndjson) {
        for field in [
            "id",
            "name",
            "description",
            "holonType",
            "metaData",
            "parentHolonId",
            "createdByAvatarId",
            "createdDate",
            "modifiedDate",
            "version",
        ] {
            assert!(h.get(field).is_some(), "{field} missing in {h}");
        }
        assert_eq!(h["holonType"], "Holon");
        assert_eq!(h["createdByAvatarId"], owner.to_string());
        assert_eq!(h["metaData"]["kind"], r.kind());
        match r {
            Record::Message(m) => {
                assert_eq!(h["parentHolonId"], m.conversation_id.to_string());
                assert_eq!(h["description"], m.content.as_str());
                assert_eq!(h["version"], 1 + m.edits.len() as u64);
            }
            Record::Contact(c) => {
                assert_eq!(h["id"], c.id.to_string());
                assert_eq!(h["parentHolonId"], uuid::Uuid::nil().to_string());
            }
            Record::FollowUp(f) => assert_eq!(h["name"], f.title.as_str()),
            Record::Conversation(_) => {}
        }
    }
}

#[tokio::test]
async fn restoring_again_stores_nothing_and_a_cut_restore_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = fixtures::owner();
    let source = memory();
    populate(&source, owner).await;
    let whole = export_bytes(&source, owner, Format::Ndjson).await;
    let path = write(dir.path(), "whole.ndjson", &whole);

    let target = sqlite(dir.path(), "resume.db");
    // Killed half way: the file ends in the middle of a line.
    let cut = write(dir.path(), "cut.ndjson", &whole[..whole.len() / 2]);
    let err = restore_file(&target, &cut, None).await.expect_err("a cut line is an error");
    assert!(matches!(err, RestoreError::Format { .. }), "{err}");
    let resumed = restore_file(&target, &path, None).await.expect("resume");
    assert!(resumed.report.already_stored > 0, "the first half was kept");
    assert_eq!(resumed.report.restored + resumed.report.already_stored, resumed.read.total());
    assert!(export_bytes(&target, owner, Format::Ndjson).await == whole);

    let again = restore_file(&target, &path, None).await.expect("again");
    assert_eq!(again.report.restored, 0);
    assert_eq!(again.report.already_stored, again.read.total());
    assert!(export_bytes(&target, owner, Format::Ndjson).await == whole);
}

#[tokio::test]
async fn records_the_store_holds_under_other_ids_are_conflicts_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = fixtures::owner();
    let source = memory();
    populate(&source, owner).await;
    let path = write(dir.path(), "export.ndjson", &export_bytes(&source, owner, Format::Ndjson).await);

    // The target already captured Zoe's chat live: same chat and user, other ids.
    let target = memory();
    let chat = fixtures::private_chat(owner, &fixtures::zoe());
    target.ingest(vec![fixtures::msg(fixtures::incoming(&chat, 1, "captured here first", at(1)))], Vec::new()).await.expect("live");
    let before = export_bytes(&target, owner, Format::Ndjson).await;
    let summary = restore_file(&target, &path, None).await.expect("restore");
    // The contact, the conversation, its 4 messages and its 4 follow-ups.
    assert_eq!(summary.report.conflicts, 10, "{:?}", summary.report);
    assert_eq!(summary.report.restored + summary.report.conflicts, summary.read.total());
    let after = records(&export_bytes(&target, owner, Format::Ndjson).await);
    for r in records(&before) {
        assert!(after.contains(&r), "a record the store held was changed: {r:?}");
    }
    // No message or follow-up without its conversation.
    let conversations: Vec<_> = after.iter().filter_map(|r| if let Record::Conversation(c) = r { Some(c.id) } else { None }).collect();
    for r in &after {
        match r {
            Record::Message(m) => assert!(conversations.contains(&m.conversation_id)),
            Record::FollowUp(f) => assert!(conversations.contains(&f.conversation_id)),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_restore_can_give_the_records_to_another_owner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = fixtures::owner();
    let source = memory();
    populate(&source, owner).await;
    let first = export_bytes(&source, owner, Format::Ndjson).await;
    let path = write(dir.path(), "export.ndjson", &first);
    let target = memory();
    let new_owner = AvatarId::new();
    restore_file(&target, &path, Some(new_owner)).await.expect("restore");
    assert!(export_bytes(&target, owner, Format::Ndjson).await.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() == 1);
    let moved = String::from_utf8(export_bytes(&target, new_owner, Format::Ndjson).await).expect("utf-8");
    let expected = String::from_utf8(first).expect("utf-8").replace(&owner.to_string(), &new_owner.to_string());
    assert!(moved == expected, "the moved export is the original with the owner replaced");
}

#[tokio::test]
async fn csv_tables_quote_and_defuse_formulas() {
    let owner = fixtures::owner();
    let source = memory();
    populate(&source, owner).await;
    let bytes = export_bytes(&source, owner, Format::Csv(Table::Contacts)).await;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(headers.iter().collect::<Vec<_>>(), telegcrm_export::csv::CONTACT_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let page = telegcrm_domain::PageRequest::first(200).expect("limit");
    let contacts = source.list_contacts(owner, &telegcrm_domain::ports::ContactFilter::default(), &page).await.expect("contacts").items;
    assert_eq!(rows.len(), contacts.len());
    let first_name = headers.iter().position(|h| h == "firstName").expect("column");
    assert!(rows.iter().any(|r| &r[first_name] == "'=HYPERLINK(\"http://evil\")"), "formula defused");
    let last_name = headers.iter().position(|h| h == "lastName").expect("column");
    assert!(rows.iter().any(|r| &r[last_name] == "'+1"));
    let notes = headers.iter().position(|h| h == "notes").expect("column");
    assert!(rows.iter().any(|r| &r[notes] == "line one\nline \"two\", with commas"), "quoted cells survive");

    let bytes = export_bytes(&source, owner, Format::Csv(Table::Conversations)).await;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    assert_eq!(reader.headers().expect("headers").iter().collect::<Vec<_>>(), telegcrm_export::csv::CONVERSATION_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert!(rows.iter().any(|r| r.iter().any(|cell| cell == "'-1+1 @SUM(A1)")), "a hostile preview is defused");
    assert!(rows.iter().all(|r| !r.iter().any(|cell| cell.contains("SECRET"))));
}

#[tokio::test]
async fn an_empty_store_exports_a_header_and_restores_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = fixtures::owner();
    let bytes = export_bytes(&memory(), owner, Format::Ndjson).await;
    assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 1);
    let path = write(dir.path(), "empty.ndjson", &bytes);
    let summary = restore_file(&memory(), &path, None).await.expect("restore");
    assert_eq!(summary.read.total(), 0);
    assert_eq!(export_bytes(&memory(), owner, Format::Holons).await, b"[\n]\n");
}

#[tokio::test]
async fn bad_files_give_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let owner = fixtures::owner();
    let service = memory();
    let header = format!("{{\"kind\":\"export\",\"format\":\"telegcrm\",\"version\":1,\"owner\":\"{owner}\"}}\n");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage", b"hello".to_vec(), "not a Telegcrm export"),
        ("empty", Vec::new(), "not a Telegcrm export"),
        (
            "other json",
            b"{\"kind\":\"something\",\"format\":\"x\",\"version\":1,\"owner\":\"0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b\"}\n".to_vec(),
            "line 1",
        ),
        (
            "newer",
            format!("{{\"kind\":\"export\",\"format\":\"telegcrm\",\"version\":99,\"owner\":\"{owner}\"}}\n").into_bytes(),
            "version 99",
        ),
        ("bad line", format!("{header}{{\"kind\":\"contact\",\"record\":{{\"id\":1}}}}\n").into_bytes(), "line 2"),
        ("unknown kind", format!("{header}{{\"kind\":\"planet\",\"record\":{{}}}}\n").into_bytes(), "line 2"),
        ("telegram export", std::fs::read(sample("chat-analytics__personal_chat_DM_2A_7M.json")).expect("sample"), "line 1"),
        ("holons not an array of holons", b"[1, 2]".to_vec(), "holons"),
    ];
    for (name, bytes, expected) in cases {
        let path = write(dir.path(), name, &bytes);
        let err = restore_file(&service, &path, None).await.expect_err(name);
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    let err = restore_file(&service, &dir.path().join("missing"), None).await.expect_err("missing file");
    assert!(matches!(err, RestoreError::Open { .. }));
    assert!(
        export_bytes(&service, owner, Format::Ndjson).await.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() == 1,
        "nothing stored"
    );
}

#[test]
fn formats_parse_with_clear_errors() {
    assert_eq!(Format::parse("NDJSON", None), Ok(Format::Ndjson));
    assert_eq!(Format::parse("holons", Some("")), Ok(Format::Holons));
    assert_eq!(Format::parse("csv", Some("Contacts")), Ok(Format::Csv(Table::Contacts)));
    assert_eq!(Format::parse("csv", Some("conversations")), Ok(Format::Csv(Table::Conversations)));
    for (format, table, expected) in [
        ("xml", None, "xml"),
        ("csv", None, "needs a table"),
        ("csv", Some("messages"), "messages"),
        ("ndjson", Some("contacts"), "only the csv"),
    ] {
        let err = Format::parse(format, table).expect_err(format);
        assert!(err.to_string().contains(expected), "{err}");
    }
}
