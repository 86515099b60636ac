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
