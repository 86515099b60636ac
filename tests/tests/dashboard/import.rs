//! Settings → "Import from Telegram Desktop": an export uploaded in the browser is imported by a
//! background job whose progress panel updates itself until it says "done".

use std::path::Path;

use crate::app::*;
use crate::browser::{Role, View};

#[tokio::test]
async fn an_export_uploaded_on_the_settings_page_is_imported_with_live_progress() {
    let Some(app) = App::empty().await else { return };
    let export = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/telegram/desktop_export/chat-analytics__full_export_chats_list_MultiChat_2C_6M.json")
        .canonicalize()
        .unwrap();
    app.as_a(View::DESKTOP, async |b| {
        b.go("/settings").await;
        b.until_text("Import from Telegram Desktop").await;
        let file = b.named(Role::Control, "Export file (zip or result.json)").await;
        file.send_keys(export.to_str().unwrap()).await.unwrap();
        b.press(None, "Upload").await;
        b.until("the job's page", || async { b.url().await.query().is_some_and(|q| q.starts_with("import=")).then_some(()) }).await;
        // Marks this document: the panel must reach "done" by polling, without a reload.
        b.js("window.__importPage = 1", vec![]).await;
        b.until("the import done", || async {
            let status = b.js("const p = document.getElementById('import-progress'); return p ? p.dataset.status : ''", vec![]).await;
            (status == "done").then_some(())
        })
        .await;
        assert_eq!(b.js("return window.__importPage || 0", vec![]).await, 1, "the page was reloaded");
        b.until_text("Imported 2 chats: 6 new messages").await;
        assert!(b.text().await.contains("100% of the export read"), "{}", b.text().await);
        let png = b.screenshot(true).await;
        std::fs::write(crate::a11y::out_dir().join("settings-import-done.png"), png).unwrap();
    })
    .await;
    let convs = app.api("GET", "conversations", None).await;
    assert_eq!(convs["items"].as_array().unwrap().len(), 2, "{convs}");
}

#[tokio::test]
async fn an_upload_that_is_not_an_export_is_refused_on_the_page() {
    let Some(app) = App::empty().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not an export").unwrap();
    app.as_a(View::DESKTOP, async |b| {
        b.go("/settings").await;
        let file = b.named(Role::Control, "Export file (zip or result.json)").await;
        file.send_keys(notes.to_str().unwrap()).await.unwrap();
        b.press(None, "Upload").await;
        b.until_text("neither a zip archive nor").await;
    })
    .await;
    let convs = app.api("GET", "conversations", None).await;
    assert_eq!(convs["items"], serde_json::json!([]));
}

#[tokio::test]
async fn an_upload_without_the_csrf_token_is_refused_and_starts_nothing() {
    let Some(app) = App::empty().await else { return };
    let export = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/telegram/desktop_export/chat-analytics__full_export_chats_list_MultiChat_2C_6M.json"),
    )
    .unwrap();
    app.as_a(View::DESKTOP, async |b| {
        let cookie = b.cookie_header().await;
        for token in [None, Some("0".repeat(64))] {
            let mut form = reqwest::multipart::Form::new();
            if let Some(t) = token {
                form = form.text("_csrf", t);
            }
            let form = form.part("file", reqwest::multipart::Part::bytes(export.clone()).file_name("result.json"));
            let res = app.s.http().post(app.s.url("/settings/import")).header("cookie", &cookie).multipart(form).send().await.unwrap();
            assert_eq!(res.status(), 403);
        }
    })
    .await;
    assert_eq!(app.api("GET", "imports", None).await["items"], serde_json::json!([]));
    assert_eq!(app.api("GET", "conversations", None).await["items"], serde_json::json!([]));
}

/// A single chat's export of `n` messages, as Telegram Desktop writes it.
fn big_export(n: u64) -> String {
    let mut out = String::from("{\n \"name\": \"Bulk\",\n \"type\": \"personal_chat\",\n \"id\": 555000111,\n \"messages\": [\n");
    let start = 1_780_000_000u64;
    for i in 1..=n {
        let t = start + i * 60;
        out.push_str(&format!(
            "  {{\"id\": {i}, \"type\": \"message\", \"date\": \"2026-05-28T00:00:00\", \"date_unixtime\": \"{t}\", \"from\": \"Bulk\", \
             \"from_id\": \"user555000111\", \"text\": \"order {i}: the oak table, the chairs and the delivery next week\"}}{}\n",
            if i == n { "" } else { "," }
        ));
    }
    out.push_str(" ]\n}\n");
    out
}

#[tokio::test]
async fn the_progress_panel_moves_while_a_large_export_is_imported() {
    let Some(app) = App::empty().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("result.json");
    std::fs::write(&export, big_export(60_000)).unwrap();
    app.as_a(View::DESKTOP, async |b| {
        b.go("/settings").await;
        let file = b.named(Role::Control, "Export file (zip or result.json)").await;
        file.send_keys(export.to_str().unwrap()).await.unwrap();
        b.press(None, "Upload").await;
        b.until("the job's page", || async { b.url().await.query().is_some_and(|q| q.starts_with("import=")).then_some(()) }).await;
        b.js("window.__importPage = 1", vec![]).await;
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let now = b
                .js(
                    "const p = document.getElementById('import-progress'); \
                     return p ? p.dataset.status + ' ' + document.getElementById('import-percent').textContent : ''",
                    vec![],
                )
                .await;
            let now = now.as_str().unwrap_or_default().to_owned();
            if seen.last() != Some(&now) {
                seen.push(now.clone());
            }
            if now.starts_with("done") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "not done in 120 s: {seen:?}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(b.js("return window.__importPage || 0", vec![]).await, 1, "the page was reloaded");
        assert!(seen.len() >= 2 && !seen[0].starts_with("done"), "the panel moved by itself: {seen:?}");
        b.until_text("60000 new messages").await;
    })
    .await;
    let convs = app.api("GET", "conversations", None).await;
    assert_eq!(convs["items"][0]["messageCount"], 60_000, "{convs}");
}

#[tokio::test]
async fn an_old_export_is_uploaded_with_the_time_zone_of_the_computer_that_made_it() {
    let Some(app) = App::empty().await else { return };
    let export = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/telegram/desktop_export/tg2md__private_channel_2021_result.json")
        .canonicalize()
        .unwrap();
    app.as_a(View::DESKTOP, async |b| {
        b.go("/settings").await;
        let file = b.named(Role::Control, "Export file (zip or result.json)").await;
        file.send_keys(export.to_str().unwrap()).await.unwrap();
        b.fill(None, "Time zone of the computer that made the export (only for exports before June 2022)", "Europe/Berlin").await;
        b.press(None, "Upload").await;
        b.until("the import done", || async {
            let status = b.js("const p = document.getElementById('import-progress'); return p ? p.dataset.status : ''", vec![]).await;
            (status == "done").then_some(())
        })
        .await;
        let png = b.screenshot(true).await;
        std::fs::write(crate::a11y::out_dir().join("settings-import-timezone.png"), png).unwrap();
    })
    .await;
    let convs = app.api("GET", "conversations", None).await;
    assert_eq!(convs["items"].as_array().unwrap().len(), 1, "{convs}");
}
