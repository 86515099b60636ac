//! The README's tour, run exactly as written (bash and curl) against the real program started
//! with the README's configuration.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

#[tokio::test]
async fn the_readme_tour_works_as_written() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let tour = readme.split("<!-- tour:begin -->").nth(1).and_then(|r| r.split("<!-- tour:end -->").next()).unwrap();
    let script = tour.trim().trim_start_matches("```sh").trim_end_matches("```");
    assert!(script.contains("curl"), "the tour has commands");

    // The README's start command, on a free port.
    let owner = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b";
    let s = Server::start_with(Options {
        env: vec![
            ("TELEGCRM_API_KEYS".into(), format!("tour-key-0123456789abcdef={owner}")),
            ("TELEGCRM_OWNER_AVATAR_ID".into(), owner.into()),
            ("TELEGRAM_WEBHOOK_SECRET".into(), "tour-secret".into()),
        ],
        ..Options::default()
    });
    let out = std::process::Command::new("bash").args(["-euo", "pipefail", "-c", script]).env("TELEGCRM", &s.base).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "tour failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("\"priority\":\"urgent\""), "{stdout}");
    assert!(stdout.contains("\"unreadCount\":1"), "{stdout}");
    assert!(stdout.contains("<mark>invoice</mark>"), "{stdout}");
    assert!(stdout.matches("Send the March invoice").count() >= 2, "created and listed: {stdout}");
}
