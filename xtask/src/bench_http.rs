//! `cargo xtask bench-http`: throughput and latency of `GET /api/telegram-crm/conversations`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{cargo, root};

const KEY: &str = "bench-key-0123456789abcdef";
const OWNER: &str = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b";
const SECRET: &str = "bench-secret";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn arg(args: &[String], name: &str, default: u32) -> Result<u32, String> {
    match args.iter().position(|a| a == name) {
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).ok_or_else(|| format!("{name} needs a number")),
        None => Ok(default),
    }
}

/// One HTTP/1.1 request on a fresh connection; returns the status.
fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Result<u16, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    answer.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| format!("bad answer: {answer}"))
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let connections = arg(args, "--connections", 64)?;
    let seconds = arg(args, "--seconds", 10)?;
    let conversations = arg(args, "--conversations", 500)?;
    Command::new("wrk").arg("--version").output().map_err(|_| "wrk is not installed (Debian: apt-get install wrk)".to_owned())?;
    crate::run("build the release server", cargo().args(["build", "--release", "--quiet", "-p", "telegcrm-server"]))?;
    let data = std::env::temp_dir().join(format!("telegcrm-bench-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut child = Command::new(root().join("target/release/telegcrm"))
        .env("TELEGCRM_BIND", "127.0.0.1:0")
        .env("TELEGCRM_DATA_DIR", &data)
        .env("TELEGCRM_API_KEYS", format!("{KEY}={OWNER}"))
        .env("TELEGCRM_OWNER_AVATAR_ID", OWNER)
        .env("TELEGRAM_WEBHOOK_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start the server: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).map_err(|e| e.to_string())?;
    let base = line.trim().strip_prefix("telegcrm listening on ").ok_or_else(|| format!("unexpected first line: {line}"))?.to_owned();
    let addr = base.trim_start_matches("http://").to_owned();

    eprintln!("xtask: seeding {conversations} conversations through the webhook");
    for i in 0..conversations {
        let user = 100_000 + i64::from(i);
        let body = format!(
            r#"{{"update_id":{i},"message":{{"message_id":1,"date":{},"chat":{{"id":{user},"type":"private","first_name":"Customer {i}"}},"from":{{"id":{user},"is_bot":false,"first_name":"Customer {i}"}},"text":"Hello, order {i} is late, please check"}}}}"#,
            1_772_442_000 + i64::from(i)
        );
        let status = post(&addr, "/api/telegram-crm/telegram/webhook", &[("X-Telegram-Bot-Api-Secret-Token", SECRET)], &body)?;
        if status != 200 {
            return Err(format!("seeding: webhook answered {status}"));
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    let url = format!("{base}/api/telegram-crm/conversations");
    eprintln!("xtask: wrk -t2 -c{connections} -d{seconds}s --latency {url}");
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency", "-H", &format!("X-API-Key: {KEY}"), &url])
        .output()
        .map_err(|e| format!("wrk: {e}"))?;
    let report = String::from_utf8_lossy(&out.stdout);
    print!("{report}");
    let non2xx = report.lines().find(|l| l.contains("Non-2xx"));
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    match non2xx {
        Some(l) => Err(format!("errors under load: {}", l.trim())),
        None => Ok(()),
    }
}
