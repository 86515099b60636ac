//! Priority detection from text and captions, and manual pinning.

use std::sync::Arc;

use telegcrm_domain::Priority;
use telegcrm_domain::ports::Store;

use super::Crm;
use crate::fixtures::{at, customer, edit, incoming, msg, photo, private_chat, zoe};

/// Each urgent keyword, in any case, makes a conversation urgent.
pub async fn urgent_keywords_raise_priority_to_urgent(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let texts = [
        "This is URGENT, the server is down",
        "Please call me asap.",
        "Can you send it as soon as possible?",
        "Emergency: the shipment is stuck at customs",
        "Critical bug in the invoice export",
    ];
    for (n, text) in (1..).zip(texts) {
        let chat = private_chat(crm.owner, &customer(n));
        crm.ingest([msg(incoming(&chat, 1, text, at(n)))]).await;
        let conv = crm.conversation(&chat).await;
        assert_eq!(conv.priority, Priority::Urgent, "{text}");
        assert!(!conv.priority_manual);
    }
}

/// "important" makes a conversation high priority.
pub async fn important_raises_priority_to_high(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Hallo", at(1)))]).await;
    assert_eq!(crm.conversation(&chat).await.priority, Priority::Medium);
    crm.ingest([msg(incoming(&chat, 2, "Important: the contract changed", at(2)))]).await;
    assert_eq!(crm.conversation(&chat).await.priority, Priority::High);
}

/// The caption of a photo is read like text.
pub async fn captions_are_read_for_priority(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(photo(&chat, 1, "Water damage in the server room — urgent!", at(1)))]).await;
    assert_eq!(crm.conversation(&chat).await.priority, Priority::Urgent);
}

/// Keywords inside other words do not count.
pub async fn keywords_match_whole_words_only(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let texts = ["Not urgently needed", "An unimportant detail", "Hypercritical reviewers", "as soon as we can"];
    crm.ingest((1..).zip(texts).map(|(n, t)| msg(incoming(&chat, n, t, at(n))))).await;
    assert_eq!(crm.conversation(&chat).await.priority, Priority::Medium);
}

/// A lower keyword after a higher one does not lower the priority.
pub async fn detection_only_raises_priority(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "URGENT: call back", at(1)))]).await;
    crm.ingest([msg(incoming(&chat, 2, "Also important: bring the papers", at(2)))]).await;
    assert_eq!(crm.conversation(&chat).await.priority, Priority::Urgent);
}

/// A priority set by hand is pinned: detection never changes it, up or down.
pub async fn manual_priority_is_never_overridden_by_detection(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Hallo", at(1)))]).await;
    let id = crm.conversation(&chat).await.id;
    let pinned = crm.service.set_priority(&crm.me(), id, Priority::Low).await.unwrap();
    assert_eq!((pinned.priority, pinned.priority_manual), (Priority::Low, true));
    crm.ingest([msg(incoming(&chat, 2, "EMERGENCY!!! asap!!!", at(2)))]).await;
    let conv = crm.conversation(&chat).await;
    assert_eq!((conv.priority, conv.priority_manual), (Priority::Low, true));
}

/// An edit that adds a keyword raises the priority too.
pub async fn an_edit_that_adds_a_keyword_raises_priority(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    let m = incoming(&chat, 1, "Can you look at the offer?", at(1));
    crm.ingest([msg(m.clone())]).await;
    crm.ingest([edit(&m, "Can you look at the offer? It is critical", at(3))]).await;
    assert_eq!(crm.conversation(&chat).await.priority, Priority::Urgent);
}
