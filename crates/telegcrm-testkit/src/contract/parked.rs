//! Parked updates: what the store refuses is kept as received, capture moves on, and a replay
//! after the cause is gone stores it once. The refusals come from a [`RefusingStore`] around the
//! store under test; the parked records themselves are the store's own.

use std::sync::Arc;

use chrono::Duration;
use telegcrm_domain::ports::Store;
use telegcrm_domain::service::{Replay, Settings};
use telegcrm_domain::{CrmError, Entity, ParkedUpdate};

use super::Crm;
use crate::fixtures::{alexey, at, base, incoming, private_chat, received, zoe};
use crate::refusing::RefusingStore;

/// What the refusing store refuses: a text no real customer writes.
const POISON: &str = "☠ refuse me";

fn refusing(store: Arc<dyn Store>, max_parked: usize) -> (Crm, Arc<RefusingStore>) {
    let refusing = Arc::new(RefusingStore::new(store));
    let mut crm = Crm::new(refusing.clone());
    crm.service = crm.service.with_settings(Settings { max_parked, ..Settings::default() });
    (crm, refusing)
}

fn parked(update_id: i64, raw: &str, minute: i64) -> ParkedUpdate {
    ParkedUpdate::new(update_id, raw, "store data is corrupt: a stored record does not decode", at(minute))
}

/// The port keeps records by update id, lists them lowest id first in pages, counts, replaces
/// and deletes them.
pub async fn parked_updates_are_kept_listed_by_id_and_counted(store: Arc<dyn Store>) {
    assert_eq!(store.count_parked().await.unwrap(), 0);
    assert_eq!(store.list_parked(None, 10).await.unwrap(), []);
    let raw = r#"{"update_id":812345702,"message":{"message_id":9,"chat":{"id":5001,"type":"private"},"date":1772442000,"text":"Zoë: «Привет» 李 \"quoted\" \\ ✓"}}"#;
    let c = parked(812_345_702, raw, 3);
    let a = parked(812_345_700, "{\"update_id\":812345700}", 1);
    let b = parked(812_345_701, "{\"update_id\":812345701}", 2);
    for p in [&c, &a, &b] {
        store.put_parked(p).await.unwrap();
    }
    assert_eq!(store.count_parked().await.unwrap(), 3);
    assert_eq!(store.get_parked(812_345_702).await.unwrap().as_ref(), Some(&c), "the raw text comes back byte for byte");
    assert_eq!(store.get_parked(1).await.unwrap(), None);
    assert_eq!(store.list_parked(None, 10).await.unwrap(), [a.clone(), b.clone(), c.clone()]);
    assert_eq!(store.list_parked(None, 2).await.unwrap(), [a.clone(), b.clone()]);
    assert_eq!(store.list_parked(Some(812_345_701), 2).await.unwrap(), [c]);

    let mut again = b.clone();
    again.refused_again("store data is corrupt: still", at(9));
    store.put_parked(&again).await.unwrap();
    assert_eq!(store.count_parked().await.unwrap(), 3, "one record per update id");
    assert_eq!(store.get_parked(812_345_701).await.unwrap().unwrap().attempts, 2);

    assert!(store.delete_parked(812_345_700).await.unwrap());
    assert!(!store.delete_parked(812_345_700).await.unwrap());
    assert_eq!(store.count_parked().await.unwrap(), 2);
}

/// Dropped updates are counted, and concurrent additions all count.
pub async fn dropped_updates_are_counted_without_losing_concurrent_additions(store: Arc<dyn Store>) {
    assert_eq!(store.dropped_count().await.unwrap(), 0);
    let adders: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..5 {
                    store.add_dropped(1).await.unwrap();
                }
            })
        })
        .collect();
    for a in adders {
        a.await.unwrap();
    }
    store.add_dropped(2).await.unwrap();
    assert_eq!(store.dropped_count().await.unwrap(), 42);
}

/// One refused update of a batch is parked with its raw text; the others are stored and the
/// batch's state (the offset) is written, so capture moves on.
pub async fn a_refused_update_is_parked_and_the_rest_of_its_batch_is_stored(store: Arc<dyn Store>) {
    let (crm, refusing) = refusing(store, 10);
    refusing.refuse_text(POISON);
    let (chat, other) = (private_chat(crm.owner, &zoe()), private_chat(crm.owner, &alexey()));
    let poison = received(700_002, incoming(&other, 2, &format!("Заказ {POISON}"), at(2)));
    let batch = vec![
        received(700_001, incoming(&chat, 1, "Guten Morgen", at(1))),
        poison.clone(),
        received(700_003, incoming(&chat, 3, "Noch da?", at(3))),
    ];
    let done = crm.service.ingest_updates(batch, vec![("telegram:offset".into(), "700004".into())]).await.unwrap();

    assert!(done.batch_refused.is_some());
    assert_eq!(done.report.messages_stored, 2);
    assert_eq!(done.parked.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [700_002]);
    assert!(done.dropped.is_empty());
    assert_eq!(crm.messages(&chat).await.len(), 2);
    assert_eq!(crm.find_conversation(&other).await, None, "nothing of the refused update is stored");
    assert_eq!(crm.store.get_state("telegram:offset").await.unwrap().as_deref(), Some("700004"), "the offset moved past the batch");

    let p = crm.service.parked_update(700_002).await.unwrap();
    assert_eq!(p.raw, poison.raw, "parked as received");
    assert!(p.error.contains("does not decode"), "{}", p.error);
    assert_eq!((p.attempts, p.first_attempt_at, p.last_attempt_at, p.raw_truncated), (1, base(), base(), false));
    assert_eq!(crm.service.parked_count().await.unwrap(), 1);
}

/// A store that cannot be reached parks nothing and stores nothing: the call fails, the offset
/// stays, and the provider delivers the batch again.
pub async fn a_passing_store_failure_parks_nothing(store: Arc<dyn Store>) {
    let (crm, refusing) = refusing(store, 10);
    refusing.set_unavailable(true);
    let chat = private_chat(crm.owner, &zoe());
    let batch = vec![received(700_001, incoming(&chat, 1, "Guten Morgen", at(1)))];
    let failed = crm.service.ingest_updates(batch.clone(), vec![("telegram:offset".into(), "700002".into())]).await;
    assert!(matches!(failed, Err(CrmError::Store(telegcrm_domain::StoreError::Unavailable(_)))), "{failed:?}");
    refusing.set_unavailable(false);
    assert_eq!(crm.service.parked_count().await.unwrap(), 0);
    assert_eq!(crm.store.get_state("telegram:offset").await.unwrap(), None);

    let done = crm.service.ingest_updates(batch, vec![("telegram:offset".into(), "700002".into())]).await.unwrap();
    assert_eq!((done.report.messages_stored, done.batch_refused), (1, None));
}

/// An update refused again (redelivered, or in a later batch) keeps one record that counts the
/// attempts and keeps the first time.
pub async fn an_update_refused_again_counts_another_attempt(store: Arc<dyn Store>) {
    let (crm, refusing) = refusing(store, 10);
    refusing.refuse_text(POISON);
    let chat = private_chat(crm.owner, &zoe());
    let poison = received(700_010, incoming(&chat, 10, POISON, at(1)));
    crm.service.ingest_updates(vec![poison.clone()], Vec::new()).await.unwrap();
    crm.clock.advance(Duration::minutes(5));
    crm.service.ingest_updates(vec![poison], Vec::new()).await.unwrap();
    let p = crm.service.parked_update(700_010).await.unwrap();
    assert_eq!((p.attempts, p.first_attempt_at, p.last_attempt_at), (2, base(), base() + Duration::minutes(5)));
    assert_eq!(crm.service.parked_count().await.unwrap(), 1);
}

/// Once the cause is gone a replay stores the update exactly once and forgets the record;
/// while it is not, a replay counts the attempt.
pub async fn retrying_a_parked_update_after_the_cause_is_gone_stores_it_once(store: Arc<dyn Store>) {
    let (crm, refusing) = refusing(store, 10);
    refusing.refuse_text(POISON);
    let chat = private_chat(crm.owner, &zoe());
    let poison = received(700_020, incoming(&chat, 20, &format!("Rechnung {POISON}"), at(1)));
    crm.service.ingest_updates(vec![poison.clone()], Vec::new()).await.unwrap();

    let still = crm.service.retry_parked(700_020, poison.events.clone()).await.unwrap();
    assert!(matches!(&still, Replay::Refused(p) if p.attempts == 2), "{still:?}");

    refusing.accept_all();
    let stored = crm.service.retry_parked(700_020, poison.events.clone()).await.unwrap();
    assert!(matches!(stored, Replay::Stored(r) if r.messages_stored == 1), "{stored:?}");
    assert_eq!(crm.service.parked_count().await.unwrap(), 0);
    let gone = crm.service.retry_parked(700_020, poison.events.clone()).await;
    assert!(matches!(gone, Err(CrmError::NotFound { entity: Entity::ParkedUpdate, .. })), "{gone:?}");

    // Telegram delivering it again changes nothing.
    let again = crm.service.ingest_updates(vec![poison], Vec::new()).await.unwrap();
    assert_eq!((again.report.messages_stored, again.report.duplicates), (0, 1));
    assert_eq!(crm.messages(&chat).await.len(), 1);
    assert_eq!(crm.conversation(&chat).await.message_count, 1);
}

/// A discarded parked update is gone for good.
pub async fn a_discarded_parked_update_is_gone(store: Arc<dyn Store>) {
    let (crm, refusing) = refusing(store, 10);
    refusing.refuse_text(POISON);
    let chat = private_chat(crm.owner, &zoe());
    crm.service.ingest_updates(vec![received(700_030, incoming(&chat, 30, POISON, at(1)))], Vec::new()).await.unwrap();
    crm.service.discard_parked(700_030).await.unwrap();
    assert_eq!(crm.service.parked_count().await.unwrap(), 0);
    let twice = crm.service.discard_parked(700_030).await;
    assert!(matches!(twice, Err(CrmError::NotFound { .. })), "{twice:?}");
}

/// Beyond the cap a new refused update is dropped and counted; one already parked still counts
/// its attempts; the offset moves on either way.
pub async fn refused_updates_beyond_the_cap_are_dropped_and_counted(store: Arc<dyn Store>) {
    let (crm, refusing) = refusing(store, 2);
    refusing.refuse_text(POISON);
    let chat = private_chat(crm.owner, &zoe());
    let poisoned: Vec<_> = (0..3).map(|i| received(700_040 + i, incoming(&chat, 40 + i, POISON, at(i)))).collect();
    let done = crm.service.ingest_updates(poisoned.clone(), vec![("telegram:offset".into(), "700043".into())]).await.unwrap();
    assert_eq!(done.parked.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [700_040, 700_041]);
    assert_eq!(done.dropped.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [700_042]);
    assert_eq!(crm.service.parked_count().await.unwrap(), 2);
    assert_eq!(crm.service.parked_dropped().await.unwrap(), 1);
    assert_eq!(crm.store.get_state("telegram:offset").await.unwrap().as_deref(), Some("700043"));

    let again = crm.service.ingest_updates(vec![poisoned[0].clone()], Vec::new()).await.unwrap();
    assert_eq!(again.parked.len(), 1, "an update already parked is not dropped at the cap");
    assert_eq!(crm.service.parked_update(700_040).await.unwrap().attempts, 2);
    assert_eq!(crm.service.parked_dropped().await.unwrap(), 1);
}

/// `check` counts the parked updates and lists them, lowest id first, with the dropped count.
pub async fn check_counts_and_lists_parked_updates(store: Arc<dyn Store>) {
    let (crm, refusing) = refusing(store, 1);
    refusing.refuse_text(POISON);
    let chat = private_chat(crm.owner, &zoe());
    let batch = vec![
        received(700_051, incoming(&chat, 51, POISON, at(1))),
        received(700_052, incoming(&chat, 52, "Alles gut", at(2))),
        received(700_053, incoming(&chat, 53, POISON, at(3))),
    ];
    crm.service.ingest_updates(batch, Vec::new()).await.unwrap();
    let report = crm.service.check(false).await.unwrap();
    assert_eq!(report.differences, []);
    assert_eq!((report.parked, report.parked_dropped), (1, 1));
    assert_eq!(report.parked_listed.iter().map(|p| (p.update_id, p.attempts)).collect::<Vec<_>>(), [(700_051, 1)]);
    assert!(report.parked_listed[0].error.contains("does not decode"));
}
