//! Settings → "Your data": the signed-in avatar's export downloads from the dashboard, with the
//! session, as the API serves it; nothing without a session.

use crate::app::*;
use crate::browser::{Role, View};
use crate::common::AVATAR_A;

#[tokio::test]
async fn the_settings_page_downloads_the_avatars_own_data() {
    let Some(app) = App::seeded().await else { return };
    let base = app.s.base.clone();
    app.as_a(View::DESKTOP, async |b| {
        b.go("/settings").await;
        b.until_text("Your data").await;
        let title = b.js("return document.title", vec![]).await;
        assert!(title.as_str().is_some_and(|t| t.starts_with("Settings") && !t.contains("data")), "{title}");
        for name in
            ["Full export (NDJSON)", "Full export as OASIS holons (JSON)", "Contacts (CSV spreadsheet)", "Conversations (CSV spreadsheet)"]
        {
            b.named(Role::Link, name).await;
        }
        // The bot's mode, named as the configuration names it (TELEGRAM_MODE=webhook here).
        assert_eq!(b.js("return document.getElementById('bot-mode').textContent", vec![]).await, "webhook");
        let png = b.screenshot(true).await;
        std::fs::write(crate::a11y::out_dir().join("settings-downloads.png"), png).unwrap();

        let cookie = b.cookie_header().await;
        let http = reqwest::Client::new();
        let res = http.get(format!("{base}/settings/export?format=ndjson")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["content-disposition"], "attachment; filename=\"telegcrm-export.ndjson\"");
        let body = res.text().await.unwrap();
        let header: serde_json::Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
        assert_eq!(header["owner"], AVATAR_A);
        assert!(body.lines().filter(|l| l.contains("\"kind\":\"message\"")).count() > 3, "{body:.400}");
        // The download is the API's export of the same avatar.
        let api = http.get(format!("{base}/api/telegram-crm/export")).header("X-API-Key", crate::common::KEY_A).send().await.unwrap();
        assert!(api.text().await.unwrap() == body);

        let res = http.get(format!("{base}/settings/export?format=csv&table=contacts")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(res.text().await.unwrap().starts_with("id,telegramId,firstName,"));
        let res = http.get(format!("{base}/settings/export?format=xml")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 400);
    })
    .await;
    // No session: the sign-in page, no data.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/settings/export"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(!res.text().await.unwrap().contains("\"kind\":\"export\""));
}
