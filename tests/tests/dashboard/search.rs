//! Search: a highlighted hit that opens its conversation at that message.

use fantoccini::Locator;

use crate::app::*;
use crate::browser::{Role, View};

#[tokio::test]
async fn a_search_hit_is_highlighted_and_opens_the_conversation_at_that_message() {
    let Some(app) = App::seeded().await else { return };
    let hits = app.api("GET", "messages/search?q=oak", None).await["items"].as_array().unwrap().clone();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let message_id = hits[0]["message"]["id"].as_str().unwrap().to_owned();
    app.as_a(View::DESKTOP, async |b| {
        b.go("/search").await;
        let search = b.named(Role::SearchBox, "Search").await;
        search.send_keys(&format!("oak{}", crate::browser::enter())).await.unwrap();
        let results = b.named(Role::List, "Results").await;
        let marks = b
            .until("a <mark> in the results", || async {
                let marks = results.find_all(Locator::Css("mark")).await.unwrap_or_default();
                (!marks.is_empty()).then_some(marks)
            })
            .await;
        assert_eq!(marks[0].text().await.unwrap().to_lowercase(), "oak");
        let results_text = results.text().await.unwrap();
        assert!(results_text.contains("price list"), "the snippet: {results_text}");
        assert!(!results_text.contains("catalogue"), "a message without the word: {results_text}");
        let link = marks[0].find(Locator::XPath("./ancestor::a[1]")).await;
        let link = match link {
            Ok(l) => l,
            Err(_) => b.link_containing(Some(&results), ADA.1).await,
        };
        link.click().await.unwrap();
        b.until_path(&format!("/conversations/{}", app.seeded.ada)).await;
        let url = b.url().await;
        assert_eq!(url.fragment(), Some(format!("m-{message_id}").as_str()), "{url}");
        let target = b.c.find(Locator::Id(&format!("m-{message_id}"))).await.unwrap();
        assert!(target.text().await.unwrap().contains("oak tables"));
    })
    .await;
}

#[tokio::test]
async fn a_search_without_matches_says_so_and_special_characters_are_text() {
    let Some(app) = App::seeded().await else { return };
    app.as_a(View::DESKTOP, async |b| {
        b.go("/search").await;
        let search = b.named(Role::SearchBox, "Search").await;
        search.send_keys(&format!("\"zeppelin (&) OR{}", crate::browser::enter())).await.unwrap();
        b.until("a no-results answer", || async {
            let t = b.text().await.to_lowercase();
            (t.contains("no result") || t.contains("nothing") || t.contains("no match") || t.contains("0 result")).then_some(())
        })
        .await;
        assert!(!b.text().await.contains("oak tables"));
    })
    .await;
}
