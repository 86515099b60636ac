//! `POST /imports`: a Telegram Desktop export uploaded to the real program over a real socket,
//! as a `result.json` and as a zip of the export's folder, imported by a background job that
//! `GET /imports/{id}` follows; the limit, other tenants and garbage are refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/telegram/desktop_export").join(name)
}

const FULL: &str = "chat-analytics__full_export_chats_list_MultiChat_2C_6M.json";

/// A zip of an export folder as an archiver writes it: one top-level folder, media beside
/// `result.json`.
fn zip_of_export(result_json: &[u8]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default();
    w.add_directory("DataExport_2026-12-01/", options).unwrap();
    w.start_file("DataExport_2026-12-01/photos/photo_1@01-12-2026_10-00-00.jpg", options).unwrap();
    w.write_all(b"\xFF\xD8\xFF\xE0 not really a photo").unwrap();
    w.start_file("DataExport_2026-12-01/result.json", options).unwrap();
    w.write_all(result_json).unwrap();
    w.finish().unwrap();
    out.into_inner()
}

/// Uploads `bytes` as the `file` field with `key`: status, `Location` header, body.
async fn upload(s: &Server, key: &str, name: &str, bytes: Vec<u8>) -> (u16, Option<String>, Value) {
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    let res = s.http().post(s.url("imports")).header("X-API-Key", key).multipart(form).send().await.unwrap();
    let status = res.status().as_u16();
    let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    let text = res.text().await.unwrap();
    (status, location, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Polls the job until it is done or failed.
async fn finished(s: &Server, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = s.a("GET", &format!("imports/{id}"), None).await;
        assert_eq!(status, 200, "{body}");
        let job = result(&body).clone();
        if job["status"] == "done" || job["status"] == "failed" {
            return job;
        }
        assert!(["queued", "running"].contains(&job["status"].as_str().unwrap()), "{job}");
        assert!(Instant::now() < deadline, "the job did not finish within 60 s: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_uploaded_result_json_and_a_zip_of_the_export_are_imported_by_a_job() {
    let s = Server::start();
    let json = std::fs::read(sample(FULL)).unwrap();

    let (status, location, body) = upload(&s, KEY_A, "result.json", json.clone()).await;
    assert_eq!(status, 202, "{body}");
    let job = result(&body);
    let id = job["id"].as_str().unwrap().to_owned();
    assert_eq!(location.as_deref(), Some(format!("/api/telegram-crm/imports/{id}").as_str()));
    assert_eq!(job["owner"], AVATAR_A);
    assert_eq!(job["fileName"], "result.json");
    assert_eq!(job["totalBytes"], json.len() as u64);
    let done = finished(&s, &id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!((done["chats"].as_u64(), done["stored"].as_u64(), done["alreadyStored"].as_u64()), (Some(2), Some(6), Some(0)), "{done}");
    assert_eq!(done["bytesRead"], done["totalBytes"], "{done}");
    assert!(done["error"].is_null(), "{done}");

    let (status, body) = s.a("GET", "conversations?limit=10", None).await;
    assert_eq!(status, 200, "{body}");
    let items = result(&body)["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{body}");
    let messages: u64 = items.iter().map(|c| c["messageCount"].as_u64().unwrap()).sum();
    assert_eq!(messages, 6, "{body}");
    let conversation = items[0]["id"].as_str().unwrap();
    let (status, body) = s.a("GET", &format!("conversations/{conversation}/messages?limit=50"), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(!result(&body)["items"].as_array().unwrap().is_empty(), "{body}");

    // The same export as a zip of its folder: found inside the folder, media ignored, nothing
    // stored twice.
    let (status, _, body) = upload(&s, KEY_A, "DataExport_2026-12-01.zip", zip_of_export(&json)).await;
    assert_eq!(status, 202, "{body}");
    let zipped = result(&body)["id"].as_str().unwrap().to_owned();
    let done = finished(&s, &zipped).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!((done["stored"].as_u64(), done["alreadyStored"].as_u64()), (Some(0), Some(6)), "{done}");
    assert_eq!(done["fileName"], "DataExport_2026-12-01.zip");

    // The owner's recent jobs, newest first; avatar B has none.
    let (status, body) = s.a("GET", "imports", None).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = result(&body)["items"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [zipped.as_str(), id.as_str()]);
    let (status, body) = s.b("GET", "imports", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(result(&body)["items"], serde_json::json!([]));

    // Another tenant's job is not found, exactly like a job that does not exist.
    let (status, body) = s.b("GET", &format!("imports/{id}"), None).await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = s.a("GET", "imports/0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0fff", None).await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = s.a("GET", "imports/not-a-uuid", None).await;
    assert_error(status, &body, 400, "bad_request");
    // And B's conversations are untouched.
    let (_, body) = s.b("GET", "conversations", None).await;
    assert_eq!(result(&body)["items"], serde_json::json!([]));
}

#[tokio::test]
async fn garbage_empty_and_wrong_uploads_are_refused_with_a_clear_message() {
    let s = Server::start();
    let (status, _, body) = upload(&s, KEY_A, "notes.txt", b"these are not the chats you are looking for".to_vec()).await;
    assert_error(status, &body, 400, "bad_request");
    assert!(body["message"].as_str().unwrap().contains("neither a zip archive nor"), "{body}");

    let (status, _, body) = upload(&s, KEY_A, "result.json", Vec::new()).await;
    assert_error(status, &body, 400, "bad_request");
    assert!(body["message"].as_str().unwrap().contains("empty"), "{body}");

    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    w.start_file("photos/a.jpg", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(b"x").unwrap();
    w.finish().unwrap();
    let (status, _, body) = upload(&s, KEY_A, "photos.zip", out.into_inner()).await;
    assert_error(status, &body, 400, "bad_request");
    assert!(body["message"].as_str().unwrap().contains("no result.json"), "{body}");

    // A zip entry that climbs out of its folder refuses the whole archive.
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut out);
    w.start_file("../../etc/cron.d/evil", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(b"* * * * * root true").unwrap();
    w.start_file("result.json", zip::write::SimpleFileOptions::default()).unwrap();
    w.write_all(b"{}").unwrap();
    w.finish().unwrap();
    let (status, _, body) = upload(&s, KEY_A, "evil.zip", out.into_inner()).await;
    assert_error(status, &body, 400, "bad_request");
    assert!(body["message"].as_str().unwrap().contains("leaves its folder"), "{body}");

    // No `file` field; not multipart at all.
    let form = reqwest::multipart::Form::new().text("other", "x");
    let res = s.http().post(s.url("imports")).header("X-API-Key", KEY_A).multipart(form).send().await.unwrap();
    let status = res.status().as_u16();
    assert_error(status, &res.json().await.unwrap(), 400, "bad_request");
    let (status, body) = s.a("POST", "imports", Some(serde_json::json!({"file": "x"}))).await;
    assert_error(status, &body, 415, "unsupported_media_type");

    // JSON that is not an export (here: an old one whose dates need a time zone) starts a job
    // that fails with the reason, naming no path of the server.
    let old = std::fs::read(sample("tg2md__private_channel_2021_result.json")).unwrap();
    let (status, _, body) = upload(&s, KEY_A, "result.json", old).await;
    assert_eq!(status, 202, "{body}");
    let job = finished(&s, result(&body)["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(error.contains("time zone") || error.contains("timezone"), "{error}");
    assert!(!error.contains("/tmp") && !error.contains("telegcrm-"), "{error}");

    assert_eq!(s.a("GET", "conversations", None).await.0, 200);
}

/// Uploads with extra text fields (`timezone`, `me`) besides the file.
async fn upload_with(s: &Server, bytes: Vec<u8>, fields: &[(&'static str, &'static str)]) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name("result.json"));
    for (k, v) in fields {
        form = form.text(*k, *v);
    }
    let res = s.http().post(s.url("imports")).header("X-API-Key", KEY_A).multipart(form).send().await.unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap())
}

#[tokio::test]
async fn an_old_export_uploads_with_its_time_zone_and_a_single_chat_with_me() {
    let s = Server::start();
    let old = std::fs::read(sample("tg2md__private_channel_2021_result.json")).unwrap();
    for (fields, expected) in [
        (vec![("timezone", "Mars/Olympus")], "timezone"),
        (vec![("timezone", "UTC"), ("me", "not-a-number")], "me"),
        (vec![("me", "-5")], "me"),
    ] {
        let (status, body) = upload_with(&s, old.clone(), &fields).await;
        assert_error(status, &body, 400, "bad_request");
        assert!(body["message"].as_str().unwrap().contains(expected), "{body}");
    }
    // The time zone after the file, as a form may send it.
    let (status, body) = upload_with(&s, old, &[("timezone", "Europe/Berlin")]).await;
    assert_eq!(status, 202, "{body}");
    let job = finished(&s, result(&body)["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done", "{job}");
    assert!(job["stored"].as_u64().unwrap() > 0, "{job}");

    // A single chat's export with `me`: the owner's own messages are outgoing.
    let dm = std::fs::read(sample("chat-analytics__personal_chat_DM_2A_7M.json")).unwrap();
    let (status, body) = upload_with(&s, dm, &[("me", "300000000"), ("timezone", "UTC")]).await;
    assert_eq!(status, 202, "{body}");
    let job = finished(&s, result(&body)["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done", "{job}");
    let conversations = conversations(&s, KEY_A).await;
    let dm = conversations.iter().find(|c| c["chatType"] == "private").expect("the personal chat");
    let messages = messages(&s, KEY_A, dm["id"].as_str().unwrap()).await;
    assert!(messages.iter().any(|m| m["direction"] == "outgoing"), "{messages:?}");
    assert!(messages.iter().any(|m| m["direction"] == "incoming"), "{messages:?}");
}

#[tokio::test]
async fn an_upload_over_the_limit_is_413_and_leaves_no_file_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_with(Options {
        env: vec![("TELEGCRM_IMPORT_MAX_BYTES".into(), "2048".into()), ("TMPDIR".into(), tmp.path().to_str().unwrap().into())],
        ..Options::default()
    });
    let json = std::fs::read(sample(FULL)).unwrap();
    assert!(json.len() > 2048);
    let (status, _, body) = upload(&s, KEY_A, "result.json", json).await;
    assert_error(status, &body, 413, "payload_too_large");
    assert!(body["message"].as_str().unwrap().contains("2048 bytes"), "{body}");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the partial upload is removed: {left:?}");

    // Under the limit the same server accepts, and removes its files once the job ends.
    let (status, _, body) = upload(&s, KEY_A, "result.json", b"{\"about\": \"x\", \"chats\": {\"list\": []}}".to_vec()).await;
    assert_eq!(status, 202, "{body}");
    let job = finished(&s, result(&body)["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done", "{job}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(tmp.path()).unwrap().next().is_some() {
        assert!(Instant::now() < deadline, "temporary files left after the job");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
