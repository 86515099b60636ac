//! A fake OASIS ONODE avatar API on a loopback port: configurable avatars, the real envelope
//! quirks (nested `result.result`, `isError: true` with HTTP 200, PascalCase bodies), and
//! failures (500, errors with 200, hanging answers).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fake_telegram::{Running, serve};

/// An avatar the fake knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeAvatar {
    /// Avatar id.
    pub id: Uuid,
    /// Username.
    pub username: String,
    /// Email.
    pub email: String,
    /// Password for `authenticate`.
    pub password: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
}

impl FakeAvatar {
    /// An avatar with a new id and password `"secret"`.
    pub fn new(username: &str, first_name: &str, last_name: &str) -> Self {
        Self {
            id: Uuid::new_v4(),
            username: username.to_owned(),
            email: format!("{username}@example.org"),
            password: "secret".to_owned(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
        }
    }
}

/// How successful answers are wrapped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Envelope {
    /// `{isError, message, result: {isError, result: avatar}}`, as ONODE often answers.
    #[default]
    Nested,
    /// `{isError, message, result: avatar}`.
    Flat,
    /// Everything PascalCase: `{IsError, Message, Result: {AvatarId, ...}}`.
    Pascal,
}

/// How the fake fails, for every avatar call until changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Failure {
    /// Answers normally.
    #[default]
    None,
    /// HTTP 500 with a PascalCase error body.
    Status500,
    /// HTTP 200 with `isError: true` (a provider is down).
    ErrorWith200,
    /// Never answers (until the client times out).
    Hang,
}

/// How an unknown avatar is answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NotFound {
    /// HTTP 200 with `isError: true` and "Avatar Not Found".
    #[default]
    ErrorWith200,
    /// HTTP 404 with an error envelope.
    Status404,
}

/// One request the fake received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Method and path, e.g. `GET /api/avatar/get-by-id/...`.
    pub line: String,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The `X-OASIS-API-Key` header.
    pub api_key: Option<String>,
}

#[derive(Default)]
struct Inner {
    avatars: Vec<FakeAvatar>,
    envelope: Envelope,
    failure: Failure,
    not_found: NotFound,
    require_auth: bool,
    requests: Vec<Request>,
    /// When set, `authenticate` issues HS256 JWTs signed with it (as real OASIS does).
    jwt_secret: Option<String>,
    /// Tokens issued with `jwt_secret`, accepted on look-ups.
    issued: Vec<String>,
}

/// The fake OASIS server. Stops when dropped.
pub struct FakeOasis {
    shared: Arc<Mutex<Inner>>,
    running: Running,
}

impl std::fmt::Debug for FakeOasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOasis").field("url", &self.url()).finish_non_exhaustive()
    }
}

impl FakeOasis {
    /// Starts a fake with these avatars on 127.0.0.1 on a free port.
    pub fn start(avatars: Vec<FakeAvatar>) -> Self {
        let shared = Arc::new(Mutex::new(Inner { avatars, ..Inner::default() }));
        let data = web::Data::new(shared.clone());
        let running = serve(move |cfg| {
            cfg.app_data(data.clone())
                .route("/api/avatar/authenticate", web::post().to(authenticate))
                .route("/api/avatar/{by}/{key}", web::get().to(lookup));
        });
        Self { shared, running }
    }

    /// The base URL to configure as `OASIS_API_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.running.port)
    }

    /// Adds an avatar.
    pub fn add_avatar(&self, avatar: FakeAvatar) {
        self.lock().avatars.push(avatar);
    }

    /// Issues real HS256 JWTs (claims `id`, `sub`, `exp` one hour ahead) signed with `secret`
    /// from `authenticate`, so a server configured with the same `OASIS_JWT_SECRET` accepts them.
    pub fn set_jwt_secret(&self, secret: &str) {
        self.lock().jwt_secret = Some(secret.to_owned());
    }

    /// Wraps successful answers this way.
    pub fn set_envelope(&self, envelope: Envelope) {
        self.lock().envelope = envelope;
    }

    /// Fails every call this way (`Failure::None` to recover).
    pub fn set_failure(&self, failure: Failure) {
        self.lock().failure = failure;
    }

    /// Answers unknown avatars this way.
    pub fn set_not_found(&self, not_found: NotFound) {
        self.lock().not_found = not_found;
    }

    /// Requires `Authorization: Bearer <a token this fake issued>` on look-ups (401 otherwise).
    pub fn require_auth(&self, required: bool) {
        self.lock().require_auth = required;
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

type Shared = web::Data<Arc<Mutex<Inner>>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An HS256 JWT over `claims` signed with `key`, as OASIS mints them.
pub fn sign_hs256(key: &str, claims: &Value) -> String {
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    // Only an empty key fails; the empty token it gives is refused like any bad token.
    jsonwebtoken::EncodingKey::from_secret(key.as_bytes()).and_then(|key| jsonwebtoken::encode(&header, claims, &key)).unwrap_or_default()
}

/// The token the fake issues for an avatar (when no JWT secret is set).
pub fn token_for(id: Uuid) -> String {
    format!("fake-oasis-jwt.{id}")
}

fn record(shared: &Shared, req: &HttpRequest) -> (Failure, Envelope, NotFound, bool) {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut inner = lock(shared);
    inner.requests.push(Request {
        line: format!("{} {}", req.method(), req.path()),
        authorization: header("authorization"),
        api_key: header("x-oasis-api-key"),
    });
    let authorized = header("authorization")
        .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        .is_some_and(|t| inner.issued.contains(&t) || inner.avatars.iter().any(|a| token_for(a.id) == t));
    (inner.failure, inner.envelope, inner.not_found, !inner.require_auth || authorized)
}

async fn fail(failure: Failure) -> Option<HttpResponse> {
    match failure {
        Failure::None => None,
        Failure::Status500 => Some(HttpResponse::InternalServerError().json(json!({
            "IsError": true, "IsWarning": false, "Message": "Unknown error occurred", "DetailedMessage": "NullReferenceException in AvatarManager"
        }))),
        Failure::ErrorWith200 => Some(HttpResponse::Ok().json(json!({
            "isError": true, "isWarning": false, "message": "Error loading avatar: MongoDBOASIS provider is offline", "result": null, "errorCode": 0
        }))),
        Failure::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            None
        }
    }
}

fn avatar_json(a: &FakeAvatar, envelope: Envelope, jwt: Option<String>) -> Value {
    let mut v = json!({
        "avatarId": a.id, "id": a.id, "title": "Dr", "firstName": a.first_name, "lastName": a.last_name,
        "fullName": format!("{} {}", a.first_name, a.last_name), "username": a.username, "email": a.email,
        "avatarType": {"value": 2, "name": "User"}, "isVerified": true, "karma": 0, "xp": 0, "providerWallets": {}
    });
    if let Some(t) = jwt {
        v["jwtToken"] = json!(t);
        v["refreshToken"] = json!("fake-refresh");
    }
    if envelope == Envelope::Pascal {
        let Value::Object(map) = v else { return v };
        return Value::Object(map.into_iter().map(|(k, v)| (pascal(&k), v)).collect());
    }
    v
}

fn pascal(key: &str) -> String {
    let mut chars = key.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn success(avatar: Value, envelope: Envelope) -> HttpResponse {
    HttpResponse::Ok().json(match envelope {
        Envelope::Nested => json!({"isError": false, "isWarning": false, "message": "Avatar Loaded Successfully", "detailedMessage": null,
                                   "result": {"isError": false, "message": "", "result": avatar}}),
        Envelope::Flat => json!({"isError": false, "isWarning": false, "message": "", "result": avatar}),
        Envelope::Pascal => json!({"IsError": false, "IsWarning": false, "Message": "", "Result": avatar}),
    })
}

fn not_found(style: NotFound) -> HttpResponse {
    let body = json!({"isError": true, "isWarning": false, "message": "Avatar Not Found", "result": null});
    match style {
        NotFound::ErrorWith200 => HttpResponse::Ok().json(body),
        NotFound::Status404 => HttpResponse::NotFound().json(body),
    }
}

async fn authenticate(shared: Shared, req: HttpRequest, body: web::Json<Value>) -> HttpResponse {
    let (failure, envelope, _, _) = record(&shared, &req);
    if let Some(r) = fail(failure).await {
        return r;
    }
    let user = body.get("username").or_else(|| body.get("email")).and_then(Value::as_str).unwrap_or("");
    let password = body.get("password").and_then(Value::as_str).unwrap_or("");
    let found = lock(&shared).avatars.iter().find(|a| (a.username == user || a.email == user) && a.password == password).cloned();
    match found {
        Some(a) => {
            let token = {
                let mut inner = lock(&shared);
                match inner.jwt_secret.clone() {
                    Some(secret) => {
                        let exp = chrono::Utc::now().timestamp() + 3600;
                        let t = sign_hs256(&secret, &json!({"id": a.id, "sub": a.id, "exp": exp}));
                        inner.issued.push(t.clone());
                        t
                    }
                    None => token_for(a.id),
                }
            };
            success(avatar_json(&a, envelope, Some(token)), envelope)
        }
        // ONODE answers a failed login with HTTP 200 and isError.
        None => HttpResponse::Ok().json(json!({"isError": true, "message": "The username or password is incorrect.", "result": null})),
    }
}

async fn lookup(shared: Shared, req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (failure, envelope, nf, authorized) = record(&shared, &req);
    if let Some(r) = fail(failure).await {
        return r;
    }
    if !authorized {
        return HttpResponse::Unauthorized().json(json!({"isError": true, "message": "Unauthorized"}));
    }
    let (by, key) = path.into_inner();
    let found = {
        let inner = lock(&shared);
        inner
            .avatars
            .iter()
            .find(|a| match by.as_str() {
                "get-by-id" => a.id.to_string().eq_ignore_ascii_case(&key),
                "get-by-username" => a.username == key,
                "get-by-email" => a.email.eq_ignore_ascii_case(&key),
                _ => false,
            })
            .cloned()
    };
    match found {
        Some(a) => success(avatar_json(&a, envelope, None), envelope),
        None => not_found(nf),
    }
}
