//! Cursor pagination: every item exactly once, also while new items arrive between pages.
//!
//! New items sort before the cursor (they are newer), so a listing that continues from a cursor
//! must still show every item that existed when it started, once.

use std::sync::Arc;

use telegcrm_domain::ports::{ConversationFilter, Store};
use telegcrm_domain::service::NewFollowUp;
use telegcrm_domain::{ConversationId, Cursor, FollowUpView, Page, PageRequest, Priority};

use super::{Crm, all_pages, assert_each_once};
use crate::fixtures::{at, customer, edit, incoming, msg, private_chat, zoe};

/// Pages through a list with `between` run after each page, as a client would while data changes.
async fn page_through<T>(limit: u32, mut fetch: impl AsyncFnMut(PageRequest) -> Page<T>, mut between: impl AsyncFnMut(usize)) -> Vec<T> {
    let mut out = Vec::new();
    let mut request = PageRequest::first(limit).unwrap();
    for n in 0..10_000 {
        let page = fetch(request).await;
        assert!(page.items.len() <= limit as usize);
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => request.cursor = Some(Cursor::decode(&c.encode()).unwrap()),
            None => return out,
        }
        between(n).await;
    }
    panic!("a listing did not end");
}

/// Opens a conversation with customer `n` by one message at `minute`.
async fn open(crm: &Crm, n: i64, minute: i64) {
    crm.ingest([msg(incoming(&private_chat(crm.owner, &customer(n)), 1, &format!("Anfrage {n}"), at(minute)))]).await;
}

async fn conversation_ids(crm: &Crm) -> Vec<ConversationId> {
    crm.conversations(&ConversationFilter::default()).await.iter().map(|c| c.id).collect()
}

/// Pages of any size put together give the full list, in order, with ties on the sort time.
pub async fn conversation_pages_have_no_gap_or_duplicate(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    // Three conversations share each minute: ties are broken by id.
    crm.ingest((1..=23).map(|n| msg(incoming(&private_chat(crm.owner, &customer(n)), 1, "Hallo", at(n / 3))))).await;
    let whole = all_pages(200, async |p| crm.service.list_conversations(crm.owner, &Default::default(), &p).await.unwrap()).await;
    assert_eq!(whole.len(), 23);
    assert!(whole.windows(2).all(|w| (w[0].last_message_at, w[0].id) > (w[1].last_message_at, w[1].id)), "newest first, ties by id");
    for limit in [1, 2, 3, 4, 7, 22, 23, 24] {
        let paged = all_pages(limit, async |p| crm.service.list_conversations(crm.owner, &Default::default(), &p).await.unwrap()).await;
        assert_eq!(paged, whole, "limit {limit}");
    }
    let last = crm.service.list_conversations(crm.owner, &Default::default(), &PageRequest::first(23).unwrap()).await.unwrap();
    assert_eq!(last.next_cursor, None, "a page that ends the list carries no cursor");
}

/// New conversations arriving between pages do not push an original one out or in twice.
pub async fn conversation_pages_survive_inserts_between_pages(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    for n in 1..=20 {
        open(&crm, n, n).await;
    }
    let originals = conversation_ids(&crm).await;
    let seen = page_through(
        3,
        async |p| crm.service.list_conversations(crm.owner, &Default::default(), &p).await.unwrap(),
        async |k| open(&crm, 100 + k as i64, 100 + k as i64).await,
    )
    .await;
    let ids: Vec<ConversationId> = seen.iter().map(|c| c.id).collect();
    assert_each_once(&ids, &originals);
    assert!(conversation_ids(&crm).await.len() > 20, "the inserts happened");
}

/// A writer inserting conversations while a reader pages: no original item lost or repeated.
pub async fn conversation_pages_survive_concurrent_inserts(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    for n in 1..=20 {
        open(&crm, n, n).await;
    }
    let originals = conversation_ids(&crm).await;
    let writer = {
        let crm = crm.clone();
        tokio::spawn(async move {
            for k in 0..40 {
                open(&crm, 1000 + k, 1000 + k).await;
                tokio::task::yield_now().await;
            }
        })
    };
    let seen = page_through(
        2,
        async |p| crm.service.list_conversations(crm.owner, &Default::default(), &p).await.unwrap(),
        async |_| tokio::task::yield_now().await,
    )
    .await;
    writer.await.unwrap();
    let ids: Vec<ConversationId> = seen.iter().map(|c| c.id).collect();
    assert_each_once(&ids, &originals);
    assert_eq!(conversation_ids(&crm).await.len(), 60);
}

/// Messages arriving (and being edited) between pages of a conversation's messages.
pub async fn message_pages_survive_inserts_between_pages(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    // Pairs of messages share a second: ties are broken by id.
    let originals: Vec<_> = (1..=30).map(|n| incoming(&chat, n, &format!("Teil {n} der Bestellung"), at(n / 2))).collect();
    crm.ingest(originals.iter().cloned().map(msg)).await;
    let conv = crm.conversation(&chat).await.id;
    let expected: Vec<_> = crm.messages(&chat).await.iter().map(|m| m.id).collect();
    assert!(expected.len() == 30);
    let seen = page_through(
        4,
        async |p| crm.service.messages(crm.owner, conv, &p).await.unwrap(),
        async |k| {
            let k = k as i64;
            crm.ingest([msg(incoming(&chat, 100 + k, "Nachtrag", at(100 + k))), edit(&originals[k as usize], "korrigiert", at(200 + k))])
                .await;
        },
    )
    .await;
    let ids: Vec<_> = seen.iter().map(|m| m.id).collect();
    assert_each_once(&ids, &expected);
    assert!(seen.windows(2).all(|w| (w[0].sent_at, w[0].id) > (w[1].sent_at, w[1].id)), "newest first, ties by id");
}

/// A writer adding messages to the conversation while a reader pages through it.
pub async fn message_pages_survive_concurrent_inserts(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest((1..=30).map(|n| msg(incoming(&chat, n, "Hallo", at(n))))).await;
    let conv = crm.conversation(&chat).await.id;
    let expected: Vec<_> = crm.messages(&chat).await.iter().map(|m| m.id).collect();
    let writer = {
        let (crm, chat) = (crm.clone(), chat.clone());
        tokio::spawn(async move {
            for k in 0..60 {
                crm.ingest([msg(incoming(&chat, 1000 + k, "Noch was", at(1000 + k)))]).await;
                tokio::task::yield_now().await;
            }
        })
    };
    let seen =
        page_through(3, async |p| crm.service.messages(crm.owner, conv, &p).await.unwrap(), async |_| tokio::task::yield_now().await).await;
    writer.await.unwrap();
    let ids: Vec<_> = seen.iter().map(|m| m.id).collect();
    assert_each_once(&ids, &expected);
    assert_eq!(crm.conversation(&chat).await.message_count, 90);
}

/// New contacts appearing between pages of the contact list.
pub async fn contact_pages_survive_inserts_between_pages(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    crm.ingest((1..=15).map(|n| msg(incoming(&private_chat(crm.owner, &customer(n)), 1, "Hallo", at(n / 2))))).await;
    let expected: Vec<_> = crm.contacts(&Default::default()).await.iter().map(|c| c.id).collect();
    assert_eq!(expected.len(), 15);
    let seen = page_through(
        4,
        async |p| crm.service.list_contacts(crm.owner, &Default::default(), &p).await.unwrap(),
        async |k| open(&crm, 500 + k as i64, 100 + k as i64).await,
    )
    .await;
    let ids: Vec<_> = seen.iter().map(|c| c.id).collect();
    assert_each_once(&ids, &expected);
    assert!(seen.windows(2).all(|w| (w[0].last_contacted_at, w[0].id) > (w[1].last_contacted_at, w[1].id)));
}

/// New follow-ups, due before and after the cursor, created between pages.
pub async fn followup_pages_survive_inserts_between_pages(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Hallo", at(1)))]).await;
    let conv = crm.conversation(&chat).await.id;
    let new = |title: String, minute: i64| NewFollowUp {
        conversation_id: conv,
        title,
        description: None,
        due_at: at(minute),
        priority: Some(Priority::Medium),
    };
    let mut expected = Vec::new();
    for n in 1..=17 {
        // Pairs share a due time: ties are broken by id.
        expected.push(crm.service.create_followup(&crm.me(), new(format!("Nachfassen {n}"), 60 * (n / 2))).await.unwrap().id);
    }
    let seen = page_through(
        4,
        async |p| crm.service.list_followups(crm.owner, FollowUpView::All, None, &p).await.unwrap(),
        async |k| {
            let k = k as i64;
            crm.service.create_followup(&crm.me(), new("früh".into(), -k)).await.unwrap();
            crm.service.create_followup(&crm.me(), new("spät".into(), 10_000 + k)).await.unwrap();
        },
    )
    .await;
    let ids: Vec<_> = seen.iter().map(|f| f.id).collect();
    assert_each_once(&ids, &expected);
    assert!(seen.windows(2).all(|w| (w[0].due_at, w[0].id) < (w[1].due_at, w[1].id)), "soonest first, ties by id");
}
