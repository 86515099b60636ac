//! Sending and webhook registration against the fake Bot API server.
#![allow(clippy::unwrap_used)]

use telegcrm_domain::GatewayError;
use telegcrm_domain::ports::{OutgoingText, TelegramGateway};
use telegcrm_telegram::{TelegramApi, TelegramSender, register_webhook};
use telegcrm_testkit::fake_telegram::updates::{ADA_ID, CONNECTION_ID};
use telegcrm_testkit::fake_telegram::{BOT_ID, BOT_USERNAME, FakeTelegram, Fault};

fn sender(fake: &FakeTelegram) -> TelegramSender {
    TelegramSender::new(TelegramApi::new(&fake.api_url(), fake.token()))
}

fn text(chat_id: i64, connection: Option<&str>, text: &str) -> OutgoingText {
    OutgoingText { chat_id, business_connection_id: connection.map(str::to_owned), text: text.to_owned(), reply_to_message_id: None }
}

#[tokio::test]
async fn send_returns_the_message_telegram_stored() {
    let fake = FakeTelegram::start();
    let sent = sender(&fake).send_text(text(ADA_ID, None, "Your order shipped 📦")).await.unwrap();
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
    sender(&fake).send_text(text(ADA_ID, Some(CONNECTION_ID), "On my way")).await.unwrap();
    assert_eq!(fake.calls_of("sendMessage")[0].params["business_connection_id"], CONNECTION_ID);
}

#[tokio::test]
async fn refusal_keeps_telegrams_description() {
    let fake = FakeTelegram::start();
    fake.fail_next("sendMessage", Fault::Refuse { code: 403, description: "Forbidden: bot was blocked by the user".into() });
    let err = sender(&fake).send_text(text(ADA_ID, None, "hi")).await.unwrap_err();
    assert!(matches!(err, GatewayError::Refused { ref description } if description == "Forbidden: bot was blocked by the user"), "{err:?}");
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_unavailable() {
    let fake = FakeTelegram::start();
    fake.fail_next("sendMessage", Fault::ServerError(502));
    fake.fail_next("sendMessage", Fault::TooManyRequests { retry_after: 3 });
    assert!(matches!(sender(&fake).send_text(text(ADA_ID, None, "a")).await, Err(GatewayError::Unavailable(_))));
    assert!(matches!(sender(&fake).send_text(text(ADA_ID, None, "b")).await, Err(GatewayError::Unavailable(_))));
}

#[tokio::test]
async fn an_unreachable_telegram_is_unavailable() {
    let api = TelegramApi::new("http://127.0.0.1:9", "1:x");
    let err = TelegramSender::new(api).send_text(text(1, None, "hi")).await.unwrap_err();
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

#[tokio::test]
async fn a_reply_names_the_message_it_answers() {
    let fake = FakeTelegram::start();
    let out = OutgoingText { reply_to_message_id: Some(42), ..text(ADA_ID, None, "Yes, Friday works") };
    sender(&fake).send_text(out).await.unwrap();
    assert_eq!(fake.calls_of("sendMessage")[0].params["reply_parameters"]["message_id"], 42);
}

#[tokio::test]
async fn an_edit_goes_through_the_connection_and_says_when() {
    let fake = FakeTelegram::start();
    let s = sender(&fake);
    let sent = s.send_text(text(ADA_ID, None, "Price: 40 EUR")).await.unwrap();
    let edited = s.edit_text(ADA_ID, None, sent.telegram_message_id, "Price: 45 EUR".into()).await.unwrap();
    assert_eq!((edited.telegram_message_id, edited.text.as_str()), (sent.telegram_message_id, "Price: 45 EUR"));
    s.edit_text(ADA_ID, Some(CONNECTION_ID.into()), 77, "typed by the owner".into()).await.unwrap();
    assert_eq!(fake.calls_of("editMessageText")[1].params["business_connection_id"], CONNECTION_ID);
    let err = s.edit_text(ADA_ID, None, 999_999, "nothing there".into()).await.unwrap_err();
    assert!(matches!(err, GatewayError::Refused { ref description } if description.contains("message to edit not found")), "{err:?}");
}

#[tokio::test]
async fn deletions_use_the_business_call_only_with_a_connection() {
    let fake = FakeTelegram::start();
    let s = sender(&fake);
    s.delete_messages(ADA_ID, None, vec![5, 6]).await.unwrap();
    s.delete_messages(ADA_ID, Some(CONNECTION_ID.into()), vec![7]).await.unwrap();
    assert_eq!(fake.calls_of("deleteMessages")[0].params["message_ids"], serde_json::json!([5, 6]));
    let business = &fake.calls_of("deleteBusinessMessages")[0].params;
    assert_eq!((business["business_connection_id"].as_str(), &business["message_ids"]), (Some(CONNECTION_ID), &serde_json::json!([7])));
    fake.fail_next("deleteBusinessMessages", Fault::Refuse { code: 400, description: "Bad Request: BUSINESS_PEER_INVALID".into() });
    assert!(matches!(s.delete_messages(ADA_ID, Some(CONNECTION_ID.into()), vec![7]).await, Err(GatewayError::Refused { .. })));
}

#[tokio::test]
async fn reading_a_business_message_names_the_chat_and_message() {
    let fake = FakeTelegram::start();
    sender(&fake).read_business_message(CONNECTION_ID.into(), ADA_ID, 301).await.unwrap();
    let p = &fake.calls_of("readBusinessMessage")[0].params;
    assert_eq!(
        (p["business_connection_id"].as_str(), p["chat_id"].as_i64(), p["message_id"].as_i64()),
        (Some(CONNECTION_ID), Some(ADA_ID), Some(301))
    );
}

#[tokio::test]
async fn a_file_is_fetched_by_its_path_and_refused_past_the_cap() {
    let fake = FakeTelegram::start();
    let path = fake.add_file("AgAD-photo", b"\xFF\xD8\xFFjpeg bytes".to_vec());
    let s = sender(&fake);
    assert_eq!(s.fetch_file("AgAD-photo".into(), 1_000).await.unwrap(), b"\xFF\xD8\xFFjpeg bytes");
    assert_eq!(fake.downloads(), vec![path]);
    assert!(matches!(s.fetch_file("AgAD-photo".into(), 4).await, Err(GatewayError::FileTooLarge { max_bytes: 4 })));
    assert!(matches!(s.fetch_file("unknown".into(), 1_000).await, Err(GatewayError::Refused { .. })));
    fake.add_file("huge", vec![0; telegcrm_testkit::fake_telegram::MAX_DOWNLOAD_BYTES + 1]);
    assert!(matches!(s.fetch_file("huge".into(), 1 << 30).await, Err(GatewayError::FileTooLarge { .. })), "Telegram's own refusal");
}

#[tokio::test]
async fn photos_and_documents_are_uploaded_by_multipart_under_their_names() {
    let fake = FakeTelegram::start();
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("table.jpg");
    std::fs::write(&photo, b"\xFF\xD8\xFF photo bytes").unwrap();
    let s = sender(&fake);
    let out = telegcrm_domain::ports::OutgoingFile {
        chat_id: ADA_ID,
        business_connection_id: Some(CONNECTION_ID.into()),
        path: photo,
        as_photo: true,
        caption: Some("The oak table 🪵".into()),
        reply_to_message_id: Some(12),
    };
    let sent = s.send_file(out).await.unwrap();
    assert_eq!((sent.message_type, sent.text.as_str()), (telegcrm_domain::MessageType::Photo, "The oak table 🪵"));
    let media = sent.media.expect("the photo Telegram keeps");
    assert_eq!(s.fetch_file(media.file_id, 1_000).await.unwrap(), b"\xFF\xD8\xFF photo bytes", "the same bytes come back");
    let up = &fake.uploads()[0];
    assert_eq!((up.method.as_str(), up.file_name.as_str()), ("sendPhoto", "table.jpg"));
    assert_eq!(
        (up.params["business_connection_id"].as_str(), up.params["reply_parameters"]["message_id"].as_i64()),
        (Some(CONNECTION_ID), Some(12))
    );
    assert_eq!(up.params["caption"], "The oak table 🪵");

    let doc = dir.path().join("Angebot.pdf");
    std::fs::write(&doc, b"%PDF-1.7").unwrap();
    let out = telegcrm_domain::ports::OutgoingFile {
        chat_id: ADA_ID,
        business_connection_id: None,
        path: doc,
        as_photo: false,
        caption: None,
        reply_to_message_id: None,
    };
    let sent = s.send_file(out).await.unwrap();
    assert_eq!(sent.message_type, telegcrm_domain::MessageType::Document);
    assert_eq!(sent.media.unwrap().file_name.as_deref(), Some("Angebot.pdf"));
    assert_eq!(fake.uploads()[1].method, "sendDocument");
}
