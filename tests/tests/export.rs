//! `telegcrm export`, `GET /api/telegram-crm/export` and `telegcrm import telegcrm-export`: the
//! real program exports what it captured and imported, restores it into another data directory
//! and exports the same bytes again; the HTTP download is authenticated, tenant-scoped and
//! streamed with download headers; bad arguments get a clear error.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::*;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/telegram/desktop_export").join(name)
}

/// Runs the program with `args` on `dir`: exit code, stdout bytes, stderr.
fn run(dir: &Path, args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = command(Options::default(), dir).args(args).stdin(Stdio::null()).output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A data directory with captured messages, hand edits and follow-ups of avatar A, and a
/// message of avatar B's.
async fn populated() -> PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    let full = sample("chat-analytics__full_export_chats_list_MultiChat_2C_6M.json");
    let (code, _, err) = run(&dir, &["import", "telegram-export", full.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let server = Server::start_with(Options { data_dir: Some(dir.clone()), ..Options::default() });
    for (i, text) in ["Hi <b>there</b>", "Привет, мир", "=1+1 is a formula"].into_iter().enumerate() {
        let status = server.webhook(&dm(i as i64 + 1, 42, "Zoe", i as i64 + 1, text, T0 + i as i64)).await;
        assert_eq!(status, 200);
    }
    let conversations = conversations(&server, KEY_A).await;
    let zoe = conversations.iter().find(|c| c["telegramChatId"] == 42).unwrap();
    let id = zoe["id"].as_str().unwrap();
    let (status, body) =
        server.a("PATCH", &format!("conversations/{id}"), Some(serde_json::json!({"summary": "a lead", "tags": ["vip"]}))).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = server
        .a("POST", "followups", Some(serde_json::json!({"conversationId": id, "title": "Call Zoe", "dueAt": "2030-01-01T10:00:00Z"})))
        .await;
    assert_eq!(status, 201, "{body}");
    server.stop();
    dir
}

#[tokio::test]
async fn export_restore_export_from_the_command_line_gives_the_same_bytes() {
    let dir = populated().await;
    let work = tempfile::tempdir().unwrap().keep();
    for format in ["ndjson", "holons"] {
        let first = work.join(format!("first.{format}"));
        let (code, out, err) = run(&dir, &["export", "--format", format, "--out", first.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        assert!(out.is_empty(), "the export went to the file");
        assert!(err.contains("exported") && err.contains("1 follow-ups"), "{err}");
        assert!(!work.join(format!("first.{format}.partial")).exists());
        let bytes = std::fs::read(&first).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("Call Zoe") && text.contains("Привет, мир") && text.contains("=1+1 is a formula"), "{text:.400}");

        let restored = tempfile::tempdir().unwrap().keep();
        let (code, out, err) = run(&restored, &["import", "telegcrm-export", first.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.starts_with("restored ") && out.contains(&format!("from a {format} export")) && out.contains("0 already stored"),
            "{out}"
        );

        // Standard output this time: the same bytes.
        let (code, second, err) = run(&restored, &["export", "--format", format]);
        assert_eq!(code, 0, "{err}");
        assert!(second == bytes, "{format}: the export of the restored store differs");

        // Again: nothing new.
        let (code, out, _) = run(&restored, &["import", "telegcrm-export", first.to_str().unwrap()]);
        assert_eq!(code, 0);
        assert!(String::from_utf8(out).unwrap().contains(": 0 stored,"));
    }

    // Into its own store: everything is already there.
    let first = work.join("first.ndjson");
    let (code, out, _) = run(&dir, &["import", "telegcrm-export", first.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(String::from_utf8(out).unwrap().contains(": 0 stored,"));
    // Into a store that imported the same chats itself, under other ids: conflicts, exit 1.
    let other = tempfile::tempdir().unwrap().keep();
    let full = sample("chat-analytics__full_export_chats_list_MultiChat_2C_6M.json");
    assert_eq!(run(&other, &["import", "telegram-export", full.to_str().unwrap()]).0, 0);
    let (code, out, _) = run(&other, &["import", "telegcrm-export", first.to_str().unwrap()]);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("records not restored"), "{out}");

    let (code, csv, err) = run(&dir, &["export", "--format", "csv", "--table", "conversations"]);
    assert_eq!(code, 0, "{err}");
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("id,telegramChatId,chatType,title,"), "{csv}");
    assert!(csv.contains(",'=1+1 is a formula,") || csv.contains("\"'=1+1 is a formula\""), "a formula is defused: {csv}");
}

#[test]
fn bad_export_arguments_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap().keep();
    for (args, expected) in [
        (vec!["export", "--format", "xml"], "not a format"),
        (vec!["export", "--format", "csv"], "needs a table"),
        (vec!["export", "--format", "ndjson", "--table", "contacts"], "only the csv"),
        (vec!["export", "--owner", "nobody"], "--owner"),
        (vec!["export", "--out", "/nonexistent-dir/x.ndjson"], "/nonexistent-dir/x.ndjson"),
        (vec!["import", "telegcrm-export", "/nonexistent-file"], "cannot read"),
    ] {
        let (code, _, err) = run(&dir, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let garbage = dir.join("garbage.ndjson");
    std::fs::write(
        &garbage,
        "{\"kind\":\"export\",\"format\":\"telegcrm\",\"version\":1,\"owner\":\"0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b\"}\nnot json\n",
    )
    .unwrap();
    let (code, _, err) = run(&dir, &["import", "telegcrm-export", garbage.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2") && err.contains("run the same command again"), "{err}");
}

#[tokio::test]
async fn the_http_export_is_an_authenticated_tenant_scoped_streamed_download() {
    let dir = populated().await;
    let server = Server::start_with(Options { data_dir: Some(dir.clone()), ..Options::default() });
    let get = |key: Option<&'static str>, query: &'static str| {
        let mut req = server.http().get(server.url(&format!("export{query}")));
        if let Some(k) = key {
            req = req.header("X-API-Key", k);
        }
        req.send()
    };
    let res = get(Some(KEY_A), "").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "application/x-ndjson");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"telegcrm-export.ndjson\"");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.get("content-length").is_none(), "streamed, not buffered");
    let body = res.text().await.unwrap();
    let lines: Vec<serde_json::Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["owner"], AVATAR_A);
    assert!(lines.iter().skip(1).all(|l| l["record"]["ownerAvatarId"] == AVATAR_A));
    assert!(lines.iter().any(|l| l["kind"] == "followup" && l["record"]["title"] == "Call Zoe"));

    // The same as the command line writes.
    let (code, cli, _) = run(&dir, &["export"]);
    assert_eq!(code, 0);
    assert!(cli == body.as_bytes(), "the download is the command's export");

    // Avatar B sees only its own (nothing).
    let res = get(Some(KEY_B), "?format=holons").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"telegcrm-holons.json\"");
    let holons: Vec<serde_json::Value> = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert!(holons.is_empty(), "{holons:?}");

    let res = get(Some(KEY_A), "?format=csv&table=contacts").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.text().await.unwrap().starts_with("id,telegramId,firstName,"));

    let res = get(None, "").await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    for bad in ["?format=xml", "?format=csv", "?format=csv&table=messages", "?format=", "?table=", "?format=csv&table="] {
        let res = get(Some(KEY_A), bad).await.unwrap();
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_error(status, &body, 400, "bad_request");
    }
    server.stop();
}
