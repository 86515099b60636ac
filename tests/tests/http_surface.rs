//! The HTTP surface with no data: health, metrics, OpenAPI, authentication and bad input.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use telegcrm_testkit::fake_oasis::sign_hs256;

/// Every registered API route: (lower-case method, path under the prefix), and whether the
/// OpenAPI document says it needs credentials.
fn operations() -> Vec<(String, &'static str, bool)> {
    let doc: Value = serde_json::from_str(telegcrm_server::openapi::json()).unwrap();
    telegcrm_server::routes::registered()
        .into_iter()
        .map(|(method, path)| {
            let method = method.as_str().to_lowercase();
            let op = &doc["paths"][format!("/api/telegram-crm{path}")][&method];
            // The document's own `security` (none, or the webhook's secret) overrides the global one.
            let authenticated = op.get("security").is_none();
            (method, path, authenticated)
        })
        .collect()
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0fff").replace("{tag}", "vip").trim_start_matches('/').to_owned()
}

#[tokio::test]
async fn health_readiness_and_metrics_answer_without_credentials() {
    let s = Server::start();
    let res = s.http().get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = s.http().get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    s.a("GET", "conversations", None).await;
    let text = s.http().get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        text.contains("telegcrm_http_requests_total{method=\"GET\",route=\"/api/telegram-crm/conversations\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("telegcrm_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains("telegcrm_store_errors_total 0"), "{text}");

    // Made-up methods share one label value, so clients cannot grow the metrics without end.
    for method in ["BREW", "PROPFIND", "X-ANYTHING"] {
        let _ = s.http().request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), s.url("/healthz")).send().await.unwrap();
    }
    let text = s.http().get(s.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(!text.contains("BREW") && !text.contains("PROPFIND"), "{text}");
}

#[tokio::test]
async fn every_authenticated_route_refuses_missing_and_bad_credentials() {
    let s = Server::start();
    let expired = sign_hs256(JWT_SECRET, &json!({"id": AVATAR_A, "exp": chrono::Utc::now().timestamp() - 3600}));
    let forged = sign_hs256("not-the-secret", &json!({"id": AVATAR_A, "exp": chrono::Utc::now().timestamp() + 3600}));
    let mut checked = 0;
    for (method, path, _) in operations().into_iter().filter(|o| o.2) {
        let url = s.url(&concrete(path));
        let method: reqwest::Method = method.to_uppercase().parse().unwrap();
        let attempts: [(&str, Option<(&str, String)>); 5] = [
            ("no credentials", None),
            ("wrong key", Some(("X-API-Key", "wrong-key-0000000000000".into()))),
            ("expired JWT", Some(("Authorization", format!("Bearer {expired}")))),
            ("forged JWT", Some(("Authorization", format!("Bearer {forged}")))),
            ("not bearer", Some(("Authorization", format!("Basic {KEY_A}")))),
        ];
        for (what, header) in attempts {
            let mut req = s.http().request(method.clone(), &url).header("content-type", "application/json").body("{}");
            if let Some((k, v)) = header {
                req = req.header(k, v);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            assert_error(status, &body, 401, "unauthorized");
            assert!(!body.to_string().contains(KEY_A), "{what}: the answer must not echo secrets");
            checked += 1;
        }
    }
    assert!(checked >= 5 * 27, "only {checked} checks");
}

#[tokio::test]
async fn every_documented_route_exists_and_the_document_lists_them() {
    let s = Server::start();
    let res = s.http().get(s.url("openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = 0;
    for (route, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented += 1;
            let path = route.strip_prefix("/api/telegram-crm").unwrap();
            assert!(operations().iter().any(|(m, p, _)| m == method && *p == path), "{method} {route} is documented but not registered");
            if item[method].get("security").is_some() {
                continue;
            }
            let (status, body) = s.a(&method.to_uppercase(), &concrete(path), Some(json!({}))).await;
            let no_route = body["message"].as_str().is_some_and(|m| m.starts_with("no route")) || status == 405;
            assert!(!no_route, "{method} {route} is documented but not served: {status} {body}");
        }
    }
    assert_eq!(documented, operations().len(), "every registered route is documented");
    let schemas = &doc["components"]["schemas"];
    for name in ["Contact", "FollowUp", "ErrorBody", "MessageDetails", "ChatState"] {
        assert!(schemas[name]["type"].is_string(), "schema {name}");
    }
    // A message is its own fields and its details, a conversation its own fields and what
    // Telegram said about its chat (each flattened into one JSON object).
    for (name, part, field) in [("Message", "MessageDetails", "content"), ("Conversation", "ChatState", "unreadCount")] {
        let parts = schemas[name]["allOf"].as_array().unwrap_or_else(|| panic!("schema {name}: {}", schemas[name]));
        assert!(parts.iter().any(|p| p["$ref"] == format!("#/components/schemas/{part}")), "{parts:?}");
        assert!(parts.iter().any(|p| p["properties"][field].is_object()), "{parts:?}");
    }
    let conversation = &doc["paths"]["/api/telegram-crm/conversations/{id}"]["get"];
    assert_eq!(conversation["parameters"][0]["schema"]["format"], "uuid", "{conversation}");
    assert!(conversation["responses"]["503"].is_object(), "store failures are documented: {conversation}");
}

#[tokio::test]
async fn a_valid_oasis_jwt_is_accepted_with_the_avatar_in_id_or_sub() {
    let s = Server::start();
    let exp = chrono::Utc::now().timestamp() + 900;
    for claims in [json!({"id": AVATAR_A, "exp": exp}), json!({"sub": AVATAR_A, "exp": exp})] {
        let token = sign_hs256(JWT_SECRET, &claims);
        let res = s.http().get(s.url("me")).bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(result(&body)["avatarId"], AVATAR_A);
    }
}

#[tokio::test]
async fn another_avatars_id_in_the_legacy_query_parameter_is_forbidden() {
    let s = Server::start();
    let (status, body) = s.a("GET", &format!("conversations?oasisAvatarId={AVATAR_B}"), None).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, _) = s.a("GET", &format!("conversations?oasisAvatarId={AVATAR_A}"), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_never_a_500() {
    let s = Server::start();
    let id = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0fff";
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        ("GET", "conversations/not-a-uuid".into(), None, 400, "bad_request"),
        ("GET", "conversations?limit=0".into(), None, 400, "bad_request"),
        ("GET", "conversations?limit=201".into(), None, 400, "bad_request"),
        ("GET", "conversations?limit=abc".into(), None, 400, "bad_request"),
        ("GET", "conversations?priority=critical".into(), None, 400, "bad_request"),
        ("GET", "conversations?status=closed".into(), None, 400, "bad_request"),
        ("GET", "conversations?unread=maybe".into(), None, 400, "bad_request"),
        ("GET", "conversations?cursor=zzzz".into(), None, 400, "bad_request"),
        ("GET", "messages/search?q=x&from=yesterday".into(), None, 400, "bad_request"),
        ("GET", "messages/search?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z".into(), None, 400, "bad_request"),
        ("GET", "followups?status=someday".into(), None, 400, "bad_request"),
        // A parameter given empty is a bad value, not an absent one (the document says what is accepted).
        ("GET", "conversations?status=".into(), None, 400, "bad_request"),
        ("GET", "followups?cursor=".into(), None, 400, "bad_request"),
        ("GET", "messages/search?to=".into(), None, 400, "bad_request"),
        ("GET", "contacts?limit=".into(), None, 400, "bad_request"),
        ("GET", format!("conversations/{id}"), None, 404, "not_found"),
        ("GET", format!("contacts/{id}"), None, 404, "not_found"),
        ("GET", format!("followups/{id}"), None, 404, "not_found"),
        ("GET", "no-such-route".into(), None, 404, "not_found"),
        ("POST", format!("conversations/{id}/priority"), Some(json!({"priority": "critical"})), 400, "bad_request"),
        ("POST", format!("conversations/{id}/priority"), Some(json!({"priority": "high", "extra": 1})), 400, "bad_request"),
        ("POST", format!("conversations/{id}/tags"), Some(json!({"tag": "   "})), 400, "bad_request"),
        (
            "POST",
            "followups".into(),
            Some(json!({"conversationId": id, "title": "  ", "dueAt": "2026-03-02T09:00:00Z"})),
            422,
            "unprocessable",
        ),
        ("POST", "followups".into(), Some(json!({"conversationId": id, "title": "Call", "dueAt": "tomorrow"})), 400, "bad_request"),
        (
            "POST",
            "followups".into(),
            Some(json!({"conversationId": id, "title": "Call", "dueAt": "2026-03-02T09:00:00Z"})),
            404,
            "not_found",
        ),
        ("POST", format!("contacts/{id}/link-avatar"), Some(json!({"username": "a", "email": "b@c.d"})), 422, "unprocessable"),
        ("POST", format!("contacts/{id}/link-avatar"), Some(json!({"username": "ada"})), 404, "not_found"),
    ];
    for (method, path, body, want, code) in cases {
        let (status, answer) = s.a(method, &path, body).await;
        assert_error(status, &answer, want, code);
        assert!(status < 500, "{method} {path}");
    }
}

#[tokio::test]
async fn a_method_a_path_does_not_have_is_405_with_the_methods_it_has() {
    let s = Server::start();
    let id = "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0fff";
    for (method, path, allow) in [
        ("PUT", format!("conversations/{id}"), "GET, PATCH"),
        ("DELETE", "conversations".to_owned(), "GET"),
        ("GET", "followups/x/snooze".to_owned(), "POST"),
    ] {
        let res = s.http().request(method.parse().unwrap(), s.url(&path)).header("X-API-Key", KEY_A).send().await.unwrap();
        let status = res.status().as_u16();
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        assert_error(status, &res.json().await.unwrap(), 405, "method_not_allowed");
    }
}

#[tokio::test]
async fn malformed_json_wrong_content_type_and_huge_bodies_are_refused() {
    let s = Server::start();
    let url = s.url("followups");
    let send =
        |ct: &'static str, body: Vec<u8>| s.http().post(&url).header("X-API-Key", KEY_A).header("content-type", ct).body(body).send();

    let res = send("application/json", b"{\"title\": ".to_vec()).await.unwrap();
    let status = res.status().as_u16();
    assert_error(status, &res.json().await.unwrap(), 400, "bad_request");

    let res = send("text/plain", b"{}".to_vec()).await.unwrap();
    let status = res.status().as_u16();
    assert_error(status, &res.json().await.unwrap(), 415, "unsupported_media_type");

    let huge = format!("{{\"title\": \"{}\"}}", "x".repeat(1_100_000)).into_bytes();
    let res = send("application/json", huge).await.unwrap();
    let status = res.status().as_u16();
    assert_error(status, &res.json().await.unwrap(), 413, "payload_too_large");

    // The server is still fine afterwards.
    assert_eq!(s.a("GET", "conversations", None).await.0, 200);
}

#[tokio::test]
async fn the_webhook_checks_its_secret_in_constant_time_and_refuses_garbage() {
    let s = Server::start();
    let url = s.url("telegram/webhook");
    for secret in [None, Some("wrong"), Some("e2e-webhook-secret_4")] {
        let mut req = s.http().post(&url).header("content-type", "application/json").body("{\"update_id\": 1}");
        if let Some(v) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{secret:?}");
    }
    let res = s.http().post(&url).header("X-Telegram-Bot-Api-Secret-Token", WEBHOOK_SECRET).body("not json").send().await.unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn the_webhook_refuses_everything_while_no_secret_is_configured() {
    let s = Server::start_with(Options { env: vec![("TELEGRAM_WEBHOOK_SECRET".into(), String::new())], ..Options::default() });
    let res = s
        .http()
        .post(s.url("telegram/webhook"))
        .header("X-Telegram-Bot-Api-Secret-Token", "")
        .header("content-type", "application/json")
        .body("{\"update_id\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn pages_assets_and_api_answers_are_compressed_for_clients_that_ask_but_live_events_never() {
    let s = Server::start();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed_in = http
        .post(s.url("/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("api_key={KEY_A}"))
        .send()
        .await
        .unwrap();
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let get = |path: &str| http.get(s.url(path)).header("cookie", cookie.clone()).header("accept-encoding", "gzip");
    let gunzip = |bytes: &[u8]| {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut out).unwrap();
        out
    };

    let inbox = get("/inbox").send().await.unwrap();
    assert_eq!(inbox.status(), 200);
    assert_eq!(inbox.headers()["content-encoding"], "gzip");
    let html = gunzip(&inbox.bytes().await.unwrap());
    assert!(html.contains("<title>Inbox"), "{html}");
    let script = html.split("src=\"/assets/").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let asset = get(&format!("/assets/{script}")).send().await.unwrap();
    assert_eq!(asset.headers()["content-encoding"], "gzip");
    assert!(gunzip(&asset.bytes().await.unwrap()).len() > 1000);

    let api = http.get(s.url("conversations")).header("x-api-key", KEY_A).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(api.headers()["content-encoding"], "gzip");
    let plain = http.get(s.url("conversations")).header("x-api-key", KEY_A).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none(), "no compression unless asked");

    let events = get("/events").send().await.unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(events.headers()["content-encoding"], "identity", "a compressor would hold live events back");
}
