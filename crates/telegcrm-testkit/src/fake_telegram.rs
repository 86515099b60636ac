//! A fake Telegram Bot API server on a loopback port, reached through frankenstein's
//! `Bot::new_url` like the real one: a scripted `getUpdates` queue honouring `offset`, `limit`
//! and `timeout`, a record of every call, and injectable failures. Update fixtures are in
//! [`updates`].

pub mod updates;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use tokio::sync::Notify;

/// The token the fake accepts (`<bot id>:<secret>`).
pub const TEST_TOKEN: &str = "123456789:AAHfake-TOKEN_for_tests_0123456789ab";
/// Our bot's user id (the token's prefix).
pub const BOT_ID: i64 = 123_456_789;
/// Our bot's username.
pub const BOT_USERNAME: &str = "telegcrm_test_bot";

/// One call the fake received.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The Bot API method, e.g. `getUpdates`.
    pub method: String,
    /// The JSON parameters (`{}` when none were sent).
    pub params: Value,
}

/// A failure to inject into the next matching call.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// A JSON error with this 5xx status.
    ServerError(u16),
    /// A 502 with an HTML body, as a proxy in front of Telegram sends.
    BadGatewayHtml,
    /// 429 with `parameters.retry_after`.
    TooManyRequests {
        /// Seconds Telegram asks to wait.
        retry_after: u64,
    },
    /// 409: another `getUpdates` poller runs.
    Conflict,
    /// Answer normally, after this long.
    Slow(Duration),
    /// `ok: false` with this code and description (e.g. 403 "Forbidden: bot was blocked by the user").
    Refuse {
        /// Telegram's error code.
        code: u16,
        /// Telegram's description.
        description: String,
    },
}

#[derive(Default)]
struct Inner {
    updates: Vec<Value>,
    next_update_id: i64,
    calls: Vec<Call>,
    faults: VecDeque<(String, Fault)>,
    next_message_id: i64,
    webhook: Option<String>,
    last_offset: Option<i64>,
    /// Bumped by every `getUpdates`; a long poll that sees it move was overtaken by another poller.
    poll_generation: u64,
    /// Long polls ended with 409 because another poller called `getUpdates` meanwhile.
    conflicts: u64,
    /// Messages the fake sent, by chat and message id (edits and deletions look them up).
    sent: std::collections::HashMap<(i64, i64), Value>,
    /// Files Telegram holds, by file id: their path (`getFile`) and bytes (the download).
    files: std::collections::HashMap<String, (String, Vec<u8>)>,
    /// Files downloaded, by path, in order.
    downloads: Vec<String>,
    /// Files uploaded (sendPhoto, sendDocument), in order.
    uploads: Vec<Upload>,
}

/// A file sent to the fake by multipart/form-data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    /// `sendPhoto` or `sendDocument`.
    pub method: String,
    /// The file name the form gave.
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The form's other fields.
    pub params: Value,
}

/// The cloud Bot API's limit for `getFile` downloads.
pub const MAX_DOWNLOAD_BYTES: usize = 20 * 1024 * 1024;

struct Shared {
    inner: Mutex<Inner>,
    notify: Notify,
}

/// The fake Bot API server. Stops when dropped.
pub struct FakeTelegram {
    shared: Arc<Shared>,
    running: Running,
}

impl std::fmt::Debug for FakeTelegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeTelegram").field("api_url", &self.api_url()).finish_non_exhaustive()
    }
}

impl FakeTelegram {
    /// Starts a fake on 127.0.0.1 on a free port.
    pub fn start() -> Self {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner { next_update_id: 100_000, next_message_id: 5_000, ..Inner::default() }),
            notify: Notify::new(),
        });
        let data = web::Data::from(shared.clone());
        let running = serve(move |cfg| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(64 << 20))
                .route("/file/{bot}/{path:.*}", web::get().to(download))
                .route("/{bot}/{method}", web::post().to(handle))
                .route("/{bot}/{method}", web::get().to(handle));
        });
        Self { shared, running }
    }

    /// The base URL to configure as `TELEGRAM_API_URL` (frankenstein appends `/bot<token>`).
    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.running.port)
    }

    /// The token the fake accepts.
    pub fn token(&self) -> &'static str {
        TEST_TOKEN
    }

    /// Queues an update of `kind` with `body`, giving it the next update id; returns the id.
    pub fn push(&self, kind: &str, body: Value) -> i64 {
        let mut inner = self.lock();
        inner.next_update_id += 1;
        let id = inner.next_update_id;
        inner.updates.push(json!({ "update_id": id, kind: body }));
        drop(inner);
        self.shared.notify.notify_waiters();
        id
    }

    /// Queues a whole update as given (its `update_id` kept, or none at all for garbage).
    pub fn push_raw(&self, update: Value) {
        let mut inner = self.lock();
        if let Some(id) = update.get("update_id").and_then(Value::as_i64) {
            inner.next_update_id = inner.next_update_id.max(id);
        }
        inner.updates.push(update);
        drop(inner);
        self.shared.notify.notify_waiters();
    }

    /// Gives Telegram a file under `file_id` (as if someone had sent it), for `getFile` and the
    /// download; returns its `file_path`.
    pub fn add_file(&self, file_id: &str, bytes: Vec<u8>) -> String {
        let path = format!("documents/file_{}.bin", self.lock().files.len());
        self.lock().files.insert(file_id.to_owned(), (path.clone(), bytes));
        path
    }

    /// The files uploaded so far, in order.
    pub fn uploads(&self) -> Vec<Upload> {
        self.lock().uploads.clone()
    }

    /// The paths downloaded so far, in order.
    pub fn downloads(&self) -> Vec<String> {
        self.lock().downloads.clone()
    }

    /// Makes the next call of `method` (`"*"` for any) fail with `fault`. Faults queue up.
    pub fn fail_next(&self, method: &str, fault: Fault) {
        self.lock().faults.push_back((method.to_owned(), fault));
    }

    /// Sets or clears a webhook, as `setWebhook` would (`getUpdates` then answers 409).
    pub fn set_webhook(&self, url: Option<&str>) {
        self.lock().webhook = url.map(str::to_owned);
    }

    /// The webhook currently set.
    pub fn webhook(&self) -> Option<String> {
        self.lock().webhook.clone()
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The calls of one method.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.lock().calls.iter().filter(|c| c.method == method).cloned().collect()
    }

    /// How many `getUpdates` long polls were cut off with 409 because another poller called
    /// `getUpdates` while they waited (as Telegram does: only one poller at a time).
    pub fn conflicts(&self) -> u64 {
        lock(&self.shared).conflicts
    }

    /// The last `offset` a `getUpdates` call sent.
    pub fn last_offset(&self) -> Option<i64> {
        self.lock().last_offset
    }

    /// Updates not yet confirmed by an offset.
    pub fn pending(&self) -> usize {
        self.lock().updates.len()
    }

    /// Waits (up to `within`) until a `getUpdates` call confirms every update pushed so far.
    pub async fn wait_until_confirmed(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let done = {
                let inner = self.lock();
                inner.last_offset.is_some_and(|o| o > inner.next_update_id) || (inner.updates.is_empty() && inner.last_offset.is_some())
            };
            if done {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A test HTTP server running on its own thread with its own actix system. Stops when dropped.
pub(crate) struct Running {
    /// The loopback port it listens on.
    pub(crate) port: u16,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Running {
    fn drop(&mut self) {
        // `stop` sends the command at once; the returned future only waits for completion.
        drop(self.handle.stop(false));
    }
}

/// Serves the routes `configure` sets up on 127.0.0.1 on a free port, from any test runtime.
pub(crate) fn serve<F>(configure: F) -> Running
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || actix_web::App::new().configure(configure.clone()))
                .workers(2)
                .disable_signals()
                .shutdown_timeout(0)
                .listen(listener)
                .unwrap()
                .run();
            tx.send(server.handle()).unwrap();
            let _ = server.await;
        });
    });
    Running { port, handle: rx.recv().unwrap() }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Inner> {
    shared.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn error(code: u16, description: &str, retry_after: Option<u64>) -> HttpResponse {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(s) = retry_after {
        body["parameters"] = json!({ "retry_after": s });
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR))
        .json(body)
}

fn ok(result: Value) -> HttpResponse {
    HttpResponse::Ok().json(json!({"ok": true, "result": result}))
}

async fn handle(
    shared: web::Data<Shared>,
    req: actix_web::HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let (bot, method) = path.into_inner();
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (params, files) = if content_type.starts_with("multipart/form-data") {
        multipart(&content_type, &body)
    } else if body.is_empty() {
        (json!({}), Vec::new())
    } else {
        (serde_json::from_slice(&body).unwrap_or_else(|_| json!({})), Vec::new())
    };
    let fault = {
        let mut inner = lock(&shared);
        inner.calls.push(Call { method: method.clone(), params: params.clone() });
        let at = inner.faults.iter().position(|(m, _)| m == "*" || *m == method);
        at.and_then(|i| inner.faults.remove(i)).map(|(_, f)| f)
    };
    if bot != format!("bot{TEST_TOKEN}") {
        return error(401, "Unauthorized", None);
    }
    match fault {
        Some(Fault::ServerError(code)) => return error(code, "Internal Server Error", None),
        Some(Fault::BadGatewayHtml) => {
            return HttpResponse::BadGateway().content_type("text/html").body("<html><body><h1>502 Bad Gateway</h1></body></html>");
        }
        Some(Fault::TooManyRequests { retry_after }) => {
            return error(429, &format!("Too Many Requests: retry after {retry_after}"), Some(retry_after));
        }
        Some(Fault::Conflict) => {
            return error(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", None);
        }
        Some(Fault::Refuse { code, description }) => return error(code, &description, None),
        Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
        None => {}
    }
    match method.as_str() {
        "getUpdates" => get_updates(&shared, &params).await,
        "getMe" => ok(updates::bot_user()),
        "deleteWebhook" => {
            lock(&shared).webhook = None;
            ok(json!(true))
        }
        "setWebhook" => match params.get("url").and_then(Value::as_str) {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                lock(&shared).webhook = Some(url.to_owned());
                ok(json!(true))
            }
            _ => error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", None),
        },
        "getWebhookInfo" => {
            let url = lock(&shared).webhook.clone().unwrap_or_default();
            ok(json!({"url": url, "has_custom_certificate": false, "pending_update_count": 0}))
        }
        "sendMessage" => send_message(&shared, &params),
        "editMessageText" => edit_message_text(&shared, &params),
        "deleteMessage" | "deleteMessages" | "deleteBusinessMessages" => delete_messages(&shared, &method, &params),
        "readBusinessMessage" => match (params.get("business_connection_id"), params.get("chat_id"), params.get("message_id")) {
            (Some(_), Some(_), Some(_)) => ok(json!(true)),
            _ => error(400, "Bad Request: business_connection_id, chat_id and message_id are required", None),
        },
        "getFile" => get_file(&shared, &params),
        "sendPhoto" | "sendDocument" => send_file(&shared, &method, params, files),
        _ => error(404, "Not Found: method not found", None),
    }
}

async fn get_updates(shared: &Shared, params: &Value) -> HttpResponse {
    let offset = params.get("offset").and_then(Value::as_i64);
    let limit = params.get("limit").and_then(Value::as_u64).unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(params.get("timeout").and_then(Value::as_u64).unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    let generation = {
        let mut inner = lock(shared);
        inner.poll_generation += 1;
        inner.poll_generation
    };
    // Wake a long poll in flight: it sees the new generation and ends with 409.
    shared.notify.notify_waiters();
    loop {
        let notified = shared.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut inner = lock(shared);
            if inner.poll_generation != generation {
                inner.conflicts += 1;
                return error(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    None,
                );
            }
            if inner.webhook.is_some() {
                return error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                    None,
                );
            }
            if let Some(offset) = offset {
                inner.last_offset = Some(offset);
                // An offset confirms every update before it (and any queued garbage without an id).
                inner.updates.retain(|u| u.get("update_id").and_then(Value::as_i64).is_some_and(|id| id >= offset));
            }
            let batch: Vec<Value> = inner.updates.iter().take(limit).cloned().collect();
            if !batch.is_empty() {
                return ok(Value::Array(batch));
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return ok(json!([]));
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

fn send_message(shared: &Shared, params: &Value) -> HttpResponse {
    let Some(chat_id) = params.get("chat_id").and_then(Value::as_i64) else {
        return error(400, "Bad Request: chat_id is empty", None);
    };
    let text = params.get("text").and_then(Value::as_str).unwrap_or("");
    if text.trim().is_empty() {
        return error(400, "Bad Request: message text is empty", None);
    }
    let message_id = {
        let mut inner = lock(shared);
        inner.next_message_id += 1;
        inner.next_message_id
    };
    let date = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut message = json!({
        "message_id": message_id,
        "from": updates::bot_user(),
        "chat": {"id": chat_id, "type": if chat_id > 0 { "private" } else { "supergroup" }},
        "date": date,
        "text": text,
    });
    if let Some(bc) = params.get("business_connection_id").and_then(Value::as_str) {
        message["business_connection_id"] = json!(bc);
        message["sender_business_bot"] = updates::bot_user();
    }
    if let Some(to) = params.get("reply_parameters").and_then(|r| r.get("message_id")).and_then(Value::as_i64) {
        message["reply_to_message"] = json!({"message_id": to, "date": date, "chat": message["chat"].clone()});
    }
    lock(shared).sent.insert((chat_id, message_id), message.clone());
    ok(message)
}

/// `editMessageText`: a message the fake sent, or any message of a business chat (the owner's
/// own, which the fake never saw).
fn edit_message_text(shared: &Shared, params: &Value) -> HttpResponse {
    let (Some(chat_id), Some(message_id)) =
        (params.get("chat_id").and_then(Value::as_i64), params.get("message_id").and_then(Value::as_i64))
    else {
        return error(400, "Bad Request: message to edit not found", None);
    };
    let text = params.get("text").and_then(Value::as_str).unwrap_or("");
    if text.trim().is_empty() {
        return error(400, "Bad Request: message text is empty", None);
    }
    let date = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut inner = lock(shared);
    let business = params.get("business_connection_id").and_then(Value::as_str);
    let mut message = match (inner.sent.get(&(chat_id, message_id)), business) {
        (Some(m), _) => m.clone(),
        (None, Some(bc)) => json!({"message_id": message_id, "chat": {"id": chat_id, "type": "private"}, "date": date,
                                   "business_connection_id": bc, "from": {"id": updates::GRACE_ID, "is_bot": false, "first_name": "Grace"}}),
        (None, None) => return error(400, "Bad Request: message to edit not found", None),
    };
    if message["text"] == text {
        return error(
            400,
            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            None,
        );
    }
    message["text"] = json!(text);
    message["edit_date"] = json!(date);
    inner.sent.insert((chat_id, message_id), message.clone());
    ok(message)
}

/// `deleteMessage`, `deleteMessages` and `deleteBusinessMessages`.
fn delete_messages(shared: &Shared, method: &str, params: &Value) -> HttpResponse {
    let ids: Vec<i64> = match params.get("message_ids") {
        Some(ids) => ids.as_array().map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default(),
        None => params.get("message_id").and_then(Value::as_i64).into_iter().collect(),
    };
    if ids.is_empty() {
        return error(400, "Bad Request: message identifiers are not specified", None);
    }
    if method == "deleteBusinessMessages" && params.get("business_connection_id").and_then(Value::as_str).is_none() {
        return error(400, "Bad Request: business_connection_id is required", None);
    }
    let chat_id = params.get("chat_id").and_then(Value::as_i64);
    let mut inner = lock(shared);
    inner.sent.retain(|(chat, id), _| !(chat_id.is_none_or(|c| c == *chat) && ids.contains(id)));
    ok(json!(true))
}

/// A multipart/form-data body: its text fields as JSON values (numbers and objects parsed, as
/// frankenstein writes them), and its files (field, file name, bytes).
fn multipart(content_type: &str, body: &[u8]) -> (Value, Vec<(String, String, Vec<u8>)>) {
    let mut params = serde_json::Map::new();
    let mut files = Vec::new();
    let Some(boundary) = content_type.split("boundary=").nth(1).map(|b| b.trim_matches('"').to_owned()) else {
        return (Value::Object(params), files);
    };
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.windows(delimiter.len()).position(|w| w == delimiter.as_slice()) {
        parts.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    for part in parts.into_iter().skip(1) {
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = part.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let headers = String::from_utf8_lossy(&part[..split]).into_owned();
        let content = part[split + 4..].to_vec();
        let value_of = |key: &str| {
            headers
                .split(';')
                .map(str::trim)
                .find_map(|h| h.strip_prefix(&format!("{key}=\"")))
                .and_then(|v| v.split('"').next())
                .map(str::to_owned)
        };
        let Some(name) = value_of("name") else { continue };
        match value_of("filename") {
            Some(file_name) => files.push((name, file_name, content)),
            None => {
                let text = String::from_utf8_lossy(&content).into_owned();
                params.insert(name, serde_json::from_str(&text).unwrap_or(Value::String(text)));
            }
        }
    }
    (Value::Object(params), files)
}

/// `sendPhoto` and `sendDocument` with an uploaded file: Telegram keeps it (for `getFile`) and
/// answers the message with its photo sizes or document.
fn send_file(shared: &Shared, method: &str, params: Value, files: Vec<(String, String, Vec<u8>)>) -> HttpResponse {
    let field = if method == "sendPhoto" { "photo" } else { "document" };
    let Some((_, file_name, bytes)) = files.into_iter().find(|(name, _, _)| name == field) else {
        return error(400, &format!("Bad Request: there is no {field} in the request"), None);
    };
    let Some(chat_id) = params.get("chat_id").and_then(Value::as_i64) else {
        return error(400, "Bad Request: chat_id is empty", None);
    };
    if bytes.is_empty() {
        return error(400, "Bad Request: file must be non-empty", None);
    }
    let date = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut inner = lock(shared);
    inner.next_message_id += 1;
    let message_id = inner.next_message_id;
    let file_id = format!("fake-{field}-{message_id}");
    let path = format!("{field}s/file_{message_id}");
    inner.files.insert(file_id.clone(), (path, bytes.clone()));
    let mut message = json!({
        "message_id": message_id, "from": updates::bot_user(), "date": date,
        "chat": {"id": chat_id, "type": if chat_id > 0 { "private" } else { "supergroup" }},
    });
    let unique = format!("u-{file_id}");
    if field == "photo" {
        message["photo"] = json!([{"file_id": file_id, "file_unique_id": unique, "file_size": bytes.len(), "width": 1280, "height": 960}]);
    } else {
        let mime = if file_name.ends_with(".pdf") { "application/pdf" } else { "application/octet-stream" };
        message["document"] =
            json!({"file_id": file_id, "file_unique_id": unique, "file_name": file_name, "mime_type": mime, "file_size": bytes.len()});
    }
    if let Some(c) = params.get("caption").and_then(Value::as_str) {
        message["caption"] = json!(c);
    }
    if let Some(bc) = params.get("business_connection_id").and_then(Value::as_str) {
        message["business_connection_id"] = json!(bc);
        message["sender_business_bot"] = updates::bot_user();
    }
    if let Some(to) = params.get("reply_parameters").and_then(|r| r.get("message_id")).and_then(Value::as_i64) {
        message["reply_to_message"] = json!({"message_id": to, "date": date, "chat": message["chat"].clone()});
    }
    inner.uploads.push(Upload { method: method.to_owned(), file_name, bytes, params });
    inner.sent.insert((chat_id, message_id), message.clone());
    ok(message)
}

/// `getFile`: the file's path, or Telegram's refusals (an unknown id, a file over 20 MB).
fn get_file(shared: &Shared, params: &Value) -> HttpResponse {
    let id = params.get("file_id").and_then(Value::as_str).unwrap_or("");
    let inner = lock(shared);
    match inner.files.get(id) {
        None => error(400, "Bad Request: invalid file_id", None),
        Some((_, bytes)) if bytes.len() > MAX_DOWNLOAD_BYTES => error(400, "Bad Request: file is too big", None),
        Some((path, bytes)) => ok(json!({"file_id": id, "file_unique_id": format!("u-{id}"), "file_size": bytes.len(), "file_path": path})),
    }
}

/// `GET /file/bot<token>/<file_path>`: a file's bytes.
async fn download(shared: web::Data<Shared>, path: web::Path<(String, String)>) -> HttpResponse {
    let (bot, file_path) = path.into_inner();
    if bot != format!("bot{TEST_TOKEN}") {
        return HttpResponse::Unauthorized().finish();
    }
    let mut inner = lock(&shared);
    let found = inner.files.values().find(|(p, _)| *p == file_path).map(|(_, b)| b.clone());
    inner.downloads.push(file_path);
    match found {
        Some(bytes) => HttpResponse::Ok().content_type("application/octet-stream").body(bytes),
        None => HttpResponse::NotFound().finish(),
    }
}
