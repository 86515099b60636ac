//! `telegcrm import telegram-export`: the real program imports a real Telegram Desktop export
//! into the embedded store, the server then shows it over HTTP, `check` agrees with it, and bad
//! arguments get a clear error and exit 2.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::*;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/telegram/desktop_export").join(name)
}

/// Runs `telegcrm import telegram-export` with `args`: exit code, stdout, stderr.
fn import(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = command(Options::default(), dir).args(["import", "telegram-export"]).args(args).stdin(Stdio::null()).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn an_export_imported_from_the_command_line_is_served_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap().keep();
    let dm = sample("chat-analytics__personal_chat_DM_2A_7M.json");
    let (code, out, err) = import(&dir, &[dm.to_str().unwrap(), "--me", "300000000", "--timezone", "UTC"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.starts_with("imported 1 chats: 8 messages read, 8 stored, 0 already stored, 1 contacts"), "{out}");

    // The full export, then again: nothing is stored twice.
    let full = sample("chat-analytics__full_export_chats_list_MultiChat_2C_6M.json");
    let (code, out, _) = import(&dir, &[full.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = import(&dir, &[full.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 stored, 6 already stored"), "{out}");

    let (code, report) = check(Options::default(), &dir, false);
    assert_eq!(code, 0, "check after the imports: {report}");

    let server = Server::start_with(Options { data_dir: Some(dir.clone()), ..Options::default() });
    let (status, body) = server.a("GET", "conversations?limit=10", None).await;
    assert_eq!(status, 200, "{body}");
    let items = result(&body)["items"].as_array().unwrap();
    let chats: Vec<i64> = items.iter().map(|c| c["telegramChatId"].as_i64().unwrap()).collect();
    assert_eq!(chats.len(), 3, "{body}");
    for id in [700_000_000, 700_000_001, -700_000_002] {
        assert!(chats.contains(&id), "{id} in {chats:?}");
    }
    assert!(items.iter().all(|c| c["unreadCount"] == 0), "history arrives read: {body}");
    let bob = items.iter().find(|c| c["telegramChatId"] == 700_000_000).unwrap();
    let (status, body) = server.a("GET", &format!("conversations/{}/messages?limit=50", bob["id"].as_str().unwrap()), None).await;
    assert_eq!(status, 200, "{body}");
    let texts: Vec<&str> = result(&body)["items"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert!(texts.contains(&"Bob joined Telegram") && texts.contains(&"hello world"), "{texts:?}");
}

#[test]
fn bad_arguments_and_old_exports_without_a_timezone_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap().keep();
    let channel = sample("tg2md__private_channel_2021_result.json");
    let channel = channel.to_str().unwrap();

    let (code, _, err) = import(&dir, &[channel]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--timezone") && err.contains("run the same command again"), "{err}");

    let (code, _, err) = import(&dir, &[channel, "--timezone", "Mars/Olympus"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a time zone"), "{err}");

    let (code, _, err) = import(&dir, &[channel, "--owner", "not-a-uuid", "--timezone", "UTC"]);
    assert_eq!(code, 2);
    assert!(err.contains("--owner"), "{err}");

    let (code, _, err) = import(&dir, &[dir.join("nothing-here").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read"), "{err}");

    // Progress goes to stderr as plain lines (not a terminal); the summary to stdout.
    let (code, out, _) = import(&dir, &[channel, "--timezone", "Europe/Berlin"]);
    assert_eq!(code, 0);
    assert!(out.contains("19 stored"), "{out}");
}
