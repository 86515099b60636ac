//! `cargo xtask bench-http`: the REST inbox and the dashboard's inbox and conversation pages over
//! real HTTP, at 10,000 conversations and 100,000 messages by default.
//!
//! For each page it reports:
//! - the server time: p50/p99 of requests sent one after another on one kept-alive connection
//!   (no queueing, so the figure is the server's work plus a loopback round trip), and the share
//!   of requests the server's own latency histogram (`/metrics`) put at or under 10 ms;
//! - throughput and p99 under load: `wrk -t2 -cN` on the same cores;
//! - the weight of the first inbox page on a cold cache: its HTML and every asset it references,
//!   as transferred to a browser that accepts gzip and brotli.
//!
//! The last line is one JSON object with every figure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{cargo, root};

const KEY: &str = "bench-key-0123456789abcdef";
const OWNER: &str = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b";
const SECRET: &str = "bench-secret";
const WEBHOOK: &str = "/api/telegram-crm/telegram/webhook";
const ACCEPT_ENCODING: &str = "gzip, deflate, br";

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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(|_| "?".to_owned(), |s| s.split_whitespace().next().unwrap_or("?").to_owned())
}

/// An answer: status, headers (lower-case names) and the body as transferred.
pub(crate) struct Answer {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// One kept-alive HTTP/1.1 connection.
pub(crate) struct Conn {
    addr: String,
    reader: BufReader<TcpStream>,
}

impl Conn {
    pub(crate) fn open(addr: &str) -> Result<Self, String> {
        let s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Self { addr: addr.to_owned(), reader: BufReader::new(s) })
    }

    pub(crate) fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Answer, String> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n", self.addr, body.len());
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.reader.get_mut().write_all(&bytes).map_err(|e| e.to_string())?;
        self.read_answer()
    }

    fn read_answer(&mut self) -> Result<Answer, String> {
        let mut line = String::new();
        self.reader.read_line(&mut line).map_err(|e| e.to_string())?;
        let status = line.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| format!("bad status line: {line:?}"))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).map_err(|e| e.to_string())?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let mut answer = Answer { status, headers, body: Vec::new() };
        if answer.header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            loop {
                line.clear();
                self.reader.read_line(&mut line).map_err(|e| e.to_string())?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|e| format!("chunk size {line:?}: {e}"))?;
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).map_err(|e| e.to_string())?;
                chunk.truncate(size);
                answer.body.extend_from_slice(&chunk);
                if size == 0 {
                    break;
                }
            }
        } else {
            let len: usize = answer.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            answer.body.resize(len, 0);
            self.reader.read_exact(&mut answer.body).map_err(|e| e.to_string())?;
        }
        Ok(answer)
    }
}

/// A message text of realistic, varied length.
fn text(conversation: u32, n: u32) -> String {
    const WORDS: [&str; 16] = [
        "order", "invoice", "delivery", "tomorrow", "price", "discount", "please", "check", "thanks", "payment", "address", "meeting",
        "contract", "urgent", "shipping", "question",
    ];
    let len = 4 + (conversation.wrapping_mul(7) + n.wrapping_mul(13)) % 40;
    let mut s = format!("Message {n} about order {conversation}:");
    for i in 0..len {
        s.push(' ');
        s.push_str(WORDS[((conversation + n * 3 + i * 5) % 16) as usize]);
    }
    s
}

/// Seeds `conversations` private chats with `per` messages each through the webhook, on 4
/// kept-alive connections; every third message is the owner's reply (business chat), so pages
/// show both directions.
fn seed(addr: &str, conversations: u32, per: u32) -> Result<(), String> {
    let threads = 4u32;
    let started = Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || -> Result<(), String> {
                    let mut conn = Conn::open(addr)?;
                    let mut c = t;
                    while c < conversations {
                        let user = 100_000 + i64::from(c);
                        for n in 0..per {
                            let update_id = i64::from(c) * i64::from(per) + i64::from(n);
                            let date = 1_772_442_000 + i64::from(c) * 60 + i64::from(n);
                            let body = format!(
                                r#"{{"update_id":{update_id},"message":{{"message_id":{},"date":{date},"chat":{{"id":{user},"type":"private","first_name":"Customer {c}","username":"customer_{c}"}},"from":{{"id":{user},"is_bot":false,"first_name":"Customer {c}","last_name":"Example"}},"text":"{}"}}}}"#,
                                n + 1,
                                text(c, n)
                            );
                            let a = conn.send(
                                "POST",
                                WEBHOOK,
                                &[("Content-Type", "application/json"), ("X-Telegram-Bot-Api-Secret-Token", SECRET)],
                                body.as_bytes(),
                            )?;
                            if a.status != 200 {
                                return Err(format!("seeding: webhook answered {}", a.status));
                            }
                        }
                        c += threads;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().map_err(|_| "a seeding thread panicked".to_owned())?)
    })?;
    let secs = started.elapsed().as_secs_f64();
    let total = f64::from(conversations) * f64::from(per);
    eprintln!("xtask: seeded {total} messages in {secs:.1} s ({:.0} updates/s through the webhook)", total / secs);
    Ok(())
}

/// p50 and p99 in milliseconds of `n` requests sent one after another on one connection.
fn sequential(addr: &str, path: &str, headers: &[(&str, &str)], n: usize) -> Result<(f64, f64), String> {
    let mut conn = Conn::open(addr)?;
    for _ in 0..n / 10 {
        conn.send("GET", path, headers, b"")?;
    }
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let a = conn.send("GET", path, headers, b"")?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if a.status != 200 {
            return Err(format!("GET {path} answered {}", a.status));
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    Ok((at(0.50), at(0.99)))
}

/// wrk's requests/s and p99 (ms) for one URL.
fn wrk(url: &str, headers: &[(&str, &str)], connections: u32, seconds: u32) -> Result<(f64, f64), String> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s"), "--latency"]);
    for (k, v) in headers {
        cmd.args(["-H", &format!("{k}: {v}")]);
    }
    let out = cmd.arg(url).output().map_err(|e| format!("wrk: {e}"))?;
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    eprint!("{report}");
    if let Some(l) = report.lines().find(|l| l.contains("Non-2xx") || l.contains("Socket errors")) {
        return Err(format!("errors under load on {url}: {}", l.trim()));
    }
    let rps = report
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("wrk printed no Requests/sec")?;
    let p99 =
        report.lines().find_map(|l| l.trim().strip_prefix("99%")).and_then(|v| millis(v.trim())).ok_or("wrk printed no 99% latency")?;
    Ok((rps, p99))
}

/// "25.10ms" / "850.00us" / "1.20s" in milliseconds.
fn millis(v: &str) -> Option<f64> {
    let (num, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else {
        (v.strip_suffix('s')?, 1000.0)
    };
    num.parse::<f64>().ok().map(|n| n * factor)
}

/// The share of requests on `route` that the server's histogram put at or under 10 ms.
fn within_10ms(metrics: &str, route: &str) -> Option<f64> {
    let value = |le: &str| {
        let prefix = format!("telegcrm_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} ");
        metrics.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|v| v.trim().parse::<f64>().ok())
    };
    Some(value("0.01")? / value("+Inf")?.max(1.0))
}

/// Asset URLs (`/assets/...`) referenced by a page.
fn assets(html: &str) -> Vec<String> {
    let mut out: Vec<String> =
        html.match_indices("\"/assets/").filter_map(|(i, _)| html[i + 1..].split('"').next().map(str::to_owned)).collect();
    out.sort();
    out.dedup();
    out
}

struct Page {
    name: &'static str,
    path: String,
    route: &'static str,
    headers: Vec<(&'static str, String)>,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let connections = arg(args, "--connections", 64)?;
    let seconds = arg(args, "--seconds", 5)?;
    let conversations = arg(args, "--conversations", 10_000)?;
    let messages = arg(args, "--messages", 100_000)?;
    let requests = arg(args, "--requests", 1000)? as usize;
    let per = (messages / conversations.max(1)).max(1);
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

    eprintln!("xtask: seeding {conversations} conversations × {per} messages through the webhook (load {})", load_average());
    seed(&addr, conversations, per)?;
    std::thread::sleep(Duration::from_millis(300));

    let mut conn = Conn::open(&addr)?;
    let signed_in =
        conn.send("POST", "/sign-in", &[("Content-Type", "application/x-www-form-urlencoded")], format!("api_key={KEY}").as_bytes())?;
    let cookie = signed_in
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .filter(|c| c.starts_with("telegcrm_session="))
        .ok_or_else(|| format!("signing in answered {} without a session cookie", signed_in.status))?
        .to_owned();
    let list = conn.send("GET", "/api/telegram-crm/conversations?limit=1", &[("X-API-Key", KEY)], b"")?;
    let list = String::from_utf8_lossy(&list.body);
    let id = list.split("\"id\":\"").nth(1).and_then(|s| s.split('"').next()).ok_or("no conversation in the inbox")?.to_owned();

    let pages = [
        Page {
            name: "api_inbox",
            path: "/api/telegram-crm/conversations".into(),
            route: "/api/telegram-crm/conversations",
            headers: vec![("X-API-Key", KEY.to_owned())],
        },
        Page { name: "dashboard_inbox", path: "/inbox".into(), route: "/inbox", headers: vec![("Cookie", cookie.clone())] },
        Page {
            name: "dashboard_conversation",
            path: format!("/conversations/{id}"),
            route: "/conversations/{id}",
            headers: vec![("Cookie", cookie.clone())],
        },
    ];

    // Weight of the first inbox page on a cold cache, as a browser receives it.
    let enc = [("Cookie", cookie.as_str()), ("Accept-Encoding", ACCEPT_ENCODING)];
    let inbox = conn.send("GET", "/inbox", &enc, b"")?;
    let mut weight = inbox.body.len();
    let plain_inbox = conn.send("GET", "/inbox", &[("Cookie", cookie.as_str())], b"")?;
    let html = String::from_utf8_lossy(&plain_inbox.body).into_owned();
    let mut asset_bytes = 0;
    for url in assets(&html) {
        let a = conn.send("GET", &url, &enc, b"")?;
        if a.status != 200 {
            return Err(format!("GET {url} answered {}", a.status));
        }
        eprintln!("xtask: {url}: {} bytes ({})", a.body.len(), a.header("content-encoding").unwrap_or("identity"));
        asset_bytes += a.body.len();
    }
    weight += asset_bytes;
    let conversation_html = conn.send("GET", &pages[2].path, &[("Cookie", cookie.as_str())], b"")?.body.len();
    eprintln!(
        "xtask: inbox page {} bytes ({} as sent, {}), assets {asset_bytes} bytes: cold first page {weight} bytes",
        plain_inbox.body.len(),
        inbox.body.len(),
        inbox.header("content-encoding").unwrap_or("identity")
    );

    let mut json = format!(
        "{{\"conversations\":{conversations},\"messages\":{},\"inbox_html_bytes\":{},\"inbox_sent_bytes\":{},\"asset_bytes\":{asset_bytes},\"inbox_cold_bytes\":{weight},\"conversation_html_bytes\":{conversation_html}",
        conversations * per,
        plain_inbox.body.len(),
        inbox.body.len()
    );
    for p in &pages {
        let headers: Vec<(&str, &str)> = p.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let load = load_average();
        let (p50, p99) = sequential(&addr, &p.path, &headers, requests)?;
        eprintln!("xtask: {}: one connection, {requests} requests: p50 {p50:.2} ms, p99 {p99:.2} ms (load {load})", p.name);
        let load = load_average();
        eprintln!("xtask: wrk -t2 -c{connections} -d{seconds}s {} (load {load})", p.path);
        let (rps, wrk_p99) = wrk(&format!("{base}{}", p.path), &headers, connections, seconds)?;
        json.push_str(&format!(
            ",\"{0}_server_p50_ms\":{p50:.3},\"{0}_server_p99_ms\":{p99:.3},\"{0}_req_per_s\":{rps:.0},\"{0}_p99_ms\":{wrk_p99:.2},\"{0}_load\":{load}",
            p.name
        ));
    }
    // A fresh connection: the first one has idled past the server's keep-alive.
    let metrics = String::from_utf8_lossy(&Conn::open(&addr)?.send("GET", "/metrics", &[], b"")?.body).into_owned();
    for p in &pages {
        if let Some(share) = within_10ms(&metrics, p.route) {
            eprintln!("xtask: {}: {:.2} % of requests served within 10 ms (server histogram)", p.name, share * 100.0);
            json.push_str(&format!(",\"{}_within_10ms\":{share:.4}", p.name));
        }
    }
    json.push('}');
    println!("{json}");
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
