//! Sending and webhook registration against the fake Bot API server.
#![allow(clippy::unwrap_used)]

use telegcrm_domain::GatewayError;
use telegcrm_domain::ports::TelegramGateway;
use telegcrm_telegram::{TelegramApi, TelegramSender, register_webhook};
use telegcrm_testkit::fake_telegram::updates::{ADA_ID, CONNECTION_ID};
use telegcrm_testkit::fake_telegram::{BOT_ID, BOT_USERNAME, FakeTelegram, Fault};

fn sender(fake: &FakeTelegram) -> TelegramSender {
    TelegramSender::new(TelegramApi::new(&fake.api_url(), fake.token()))
}

#[tokio::test]
async fn send_returns_the_message_telegram_stored() {
    let fake = FakeTelegram::start();
    let sent = sender(&fake).send_text(ADA_ID, None, "Your order shipped 📦").await.unwrap();
    assert_eq!(sent.text, "Your order shipped 📦");
    assert!(sent.telegram_message_id > 0);
    assert_eq!(sent.sender.unwrap().id, BOT_ID);
    let call = &fake.calls_of("sendMessage")[0];
    assert_eq!(call.params["chat_id"], ADA_ID);
    assert!(call.params.get("business_connection_id").is_none());
}

#[tokio::test]
async fn send_through_a_business_connection_passes_its_id() {
    let fake = FakeTelegram::start();
    sender(&fake).send_text(ADA_ID, Some(CONNECTION_ID.to_owned()), "On my way").await.unwrap();
    assert_eq!(fake.calls_of("sendMessage")[0].params["business_connection_id"], CONNECTION_ID);
}

#[tokio::test]
async fn refusal_keeps_telegrams_description() {
    let fake = FakeTelegram::start();
    fake.fail_next("sendMessage", Fault::Refuse { code: 403, description: "Forbidden: bot was blocked by the user".into() });
    let err = sender(&fake).send_text(ADA_ID, None, "hi").await.unwrap_err();
    assert!(matches!(err, GatewayError::Refused { ref description } if description == "Forbidden: bot was blocked by the user"), "{err:?}");
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_unavailable() {
    let fake = FakeTelegram::start();
    fake.fail_next("sendMessage", Fault::ServerError(502));
    fake.fail_next("sendMessage", Fault::TooManyRequests { retry_after: 3 });
    assert!(matches!(sender(&fake).send_text(ADA_ID, None, "a").await, Err(GatewayError::Unavailable(_))));
    assert!(matches!(sender(&fake).send_text(ADA_ID, None, "b").await, Err(GatewayError::Unavailable(_))));
}

#[tokio::test]
async fn an_unreachable_telegram_is_unavailable() {
    let api = TelegramApi::new("http://127.0.0.1:9", "1:x");
    let err = TelegramSender::new(api).send_text(1, None, "hi").await.unwrap_err();
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains("1:x"), "the token must not leak: {err}");
}

#[tokio::test]
async fn register_webhook_sets_url_secret_and_allowed_updates() {
    let fake = FakeTelegram::start();
    let api = TelegramApi::new(&fake.api_url(), fake.token());
    register_webhook(&api, "https://crm.example.org/api/telegram-crm/telegram/webhook", "s3cret").await.unwrap();
    let call = &fake.calls_of("setWebhook")[0];
    assert_eq!(call.params["secret_token"], "s3cret");
    let asked: Vec<&str> = call.params["allowed_updates"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    assert_eq!(asked, telegcrm_telegram::ALLOWED_UPDATES, "every kind handled is asked for, reactions included");
    assert_eq!(fake.webhook().as_deref(), Some("https://crm.example.org/api/telegram-crm/telegram/webhook"));
    assert_eq!(api.get_me().await.unwrap().username.as_deref(), Some(BOT_USERNAME));
}
