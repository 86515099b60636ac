//! The API test suite schemathesis (PyPI) against the server (debug build, which `cargo test` has already built), run by `cargo xtask test`
//! after `cargo test` (docs/schemathesis.md).
//!
//! The server runs with the memory store, an API key, an OASIS JWT secret, and a bot token that
//! points at the test kit's fake Bot API (the fake OASIS API answers avatar look-ups); a few
//! conversations are seeded through the webhook so that ids exist. schemathesis then runs every
//! check in all four phases (examples, coverage, fuzzing, stateful), configured by
//! `schemathesis.toml`; any failure fails the step.
//!
//! schemathesis comes from `SCHEMATHESIS` (a path) or `target/tools/venv/bin/schemathesis`
//! (`.ci/run` installs it there). Under CI=true a missing one is a failure; locally the step is
//! skipped, saying so.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Instant;

use crate::bench_http::Conn;
use crate::{cargo, root};

/// The pinned version `.ci/run` installs.
pub(crate) const VERSION: &str = "4.32.5";
const KEY: &str = "schemathesis-key-0123456789abcdef";
const OWNER: &str = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b";
const SECRET: &str = "schemathesis-webhook-secret";
/// Test cases per operation and phase: bounds the run to about a minute on 2 cores.
const MAX_EXAMPLES: &str = "50";

/// A child process ended when dropped.
struct Process {
    child: Child,
    /// Held open: the fakes serve until their standard input closes.
    _stdin: Option<ChildStdin>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SCHEMATHESIS").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let venv = root().join("target/tools/venv/bin/schemathesis");
    venv.is_file().then_some(venv)
}

/// Runs the step; `Ok` also when skipped locally.
pub(crate) fn run() -> Result<(), String> {
    let Some(schemathesis) = find() else {
        let why = "schemathesis is not installed (set SCHEMATHESIS, or run: python3 -m venv target/tools/venv && target/tools/venv/bin/pip install schemathesis==4.32.5)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(why.to_owned());
        }
        eprintln!("xtask: skipping the schemathesis run: {why}");
        return Ok(());
    };
    crate::run("build the server", cargo().args(["build", "--quiet", "-p", "telegcrm-server"]))?;
    crate::run(
        "build the fake Telegram and OASIS APIs",
        cargo().args(["build", "--quiet", "-p", "telegcrm-testkit", "--bin", "telegcrm-fakes"]),
    )?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from);

    let mut fakes = Command::new(target.join("debug/telegcrm-fakes"))
        .arg(OWNER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start the fakes: {e}"))?;
    let stdin = fakes.stdin.take();
    let stdout = fakes.stdout.take().ok_or("the fakes have no stdout")?;
    let _fakes = Process { child: fakes, _stdin: stdin };
    let mut settings = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("read the fakes' settings: {e}"))?;
        match line.split_once('=') {
            Some((k, v)) => settings.push((k.to_owned(), v.to_owned())),
            None => break,
        }
    }
    let setting =
        |name: &str| settings.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).ok_or(format!("the fakes printed no {name}"));
    let jwt = setting("JWT")?;

    let mut server = Command::new(target.join("debug/telegcrm"));
    server
        .env("TELEGCRM_BIND", "127.0.0.1:0")
        .env("TELEGCRM_STORE", "memory")
        .env("TELEGCRM_API_KEYS", format!("{KEY}={OWNER}"))
        .env("TELEGCRM_OWNER_AVATAR_ID", OWNER)
        .env("TELEGRAM_MODE", "webhook")
        .env("TELEGRAM_WEBHOOK_SECRET", SECRET)
        // Registered with the fake Bot API only, which never calls it.
        .env("TELEGRAM_WEBHOOK_URL", "http://127.0.0.1/api/telegram-crm/telegram/webhook")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped());
    for name in ["TELEGRAM_API_URL", "TELEGRAM_BOT_TOKEN", "OASIS_API_URL", "OASIS_JWT_SECRET"] {
        server.env(name, setting(name)?);
    }
    let mut server = server.spawn().map_err(|e| format!("start the server: {e}"))?;
    let stdout = server.stdout.take().ok_or("the server has no stdout")?;
    let _server = Process { child: server, _stdin: None };
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
    let base = line.trim().strip_prefix("telegcrm listening on ").ok_or_else(|| format!("unexpected first line: {line}"))?.to_owned();
    seed(base.trim_start_matches("http://"))?;

    let started = Instant::now();
    let mut cmd = Command::new(&schemathesis);
    // Its example database (.schemathesis/) goes under target/, not into the work tree.
    cmd.current_dir(&target)
        .arg("--config-file")
        .arg(root().join("schemathesis.toml"))
        .arg("run")
        .arg(format!("{base}/api/telegram-crm/openapi.json"))
        .args(["--checks", "all", "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", MAX_EXAMPLES, "--workers", "1"])
        .env("TELEGCRM_ST_API_KEY", KEY)
        .env("TELEGCRM_ST_JWT", jwt)
        .env("TELEGCRM_ST_AVATAR", OWNER)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped());
    eprintln!("xtask: schemathesis {VERSION}: every check, all phases, {MAX_EXAMPLES} examples per operation");
    let mut child = cmd.spawn().map_err(|e| format!("start {}: {e}", schemathesis.display()))?;
    let out = child.stdout.take().ok_or("schemathesis has no stdout")?;
    let mut report = String::new();
    let mut echo = std::io::stdout().lock();
    for line in BufReader::new(out).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let _ = writeln!(echo, "{line}");
        report.push_str(&line);
        report.push('\n');
    }
    drop(echo);
    let status = child.wait().map_err(|e| e.to_string())?;
    eprintln!("xtask: schemathesis took {:.0} s", started.elapsed().as_secs_f64());
    if !status.success() {
        return Err(format!("schemathesis found failures ({status})"));
    }
    // The stateful phase must have chained calls, not been skipped for want of links.
    let scenarios = report
        .lines()
        .skip_while(|l| !l.contains("Stateful ("))
        .find_map(|l| l.trim().strip_prefix("Scenarios:"))
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or(0);
    if scenarios == 0 {
        return Err("schemathesis ran no stateful scenario".to_owned());
    }
    Ok(())
}

/// Five private chats with a message each, one with the owner's business reply, through the webhook.
fn seed(addr: &str) -> Result<(), String> {
    let mut conn = Conn::open(addr)?;
    let names = ["Ada Lovelace", "Zoë Kravitz", "Олена Петренко", "Kwame Mensah", "Mei Chen"];
    for (i, name) in names.iter().enumerate() {
        let user = 700_000 + i as i64;
        let (first, last) = name.split_once(' ').unwrap_or((name, ""));
        let body = format!(
            r#"{{"update_id":{},"message":{{"message_id":1,"date":{},"chat":{{"id":{user},"type":"private","first_name":"{first}"}},"from":{{"id":{user},"is_bot":false,"first_name":"{first}","last_name":"{last}","username":"customer_{i}"}},"text":"Hello, please send the invoice for order {i}, it is urgent"}}}}"#,
            10 + i,
            1_772_442_000 + i as i64 * 60,
        );
        let a = conn.send(
            "POST",
            "/api/telegram-crm/telegram/webhook",
            &[("Content-Type", "application/json"), ("X-Telegram-Bot-Api-Secret-Token", SECRET)],
            body.as_bytes(),
        )?;
        if a.status != 200 {
            return Err(format!("seeding: the webhook answered {}", a.status));
        }
    }
    Ok(())
}
