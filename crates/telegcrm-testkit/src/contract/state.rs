//! Small state (offsets, link codes) and leases (one poller or reminder job at a time).

use std::sync::Arc;

use chrono::Duration;
use telegcrm_domain::ports::Store;

use crate::fixtures::at;

/// Values are read back, overwritten, and absent keys are `None`.
pub async fn state_values_are_kept_and_overwritten(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
    assert_eq!(store.get_state("telegram:update_offset").await.unwrap(), None);
    store.put_state("telegram:update_offset", "812345679").await.unwrap();
    store.put_state("telegram:update_offset", "812345680").await.unwrap();
    store.put_state("link:Zoë/ключ \"'; --", "{\"avatar\":\"ü\"}").await.unwrap();
    store.put_state("empty", "").await.unwrap();
    assert_eq!(store.get_state("telegram:update_offset").await.unwrap().as_deref(), Some("812345680"));
    assert_eq!(store.get_state("link:Zoë/ключ \"'; --").await.unwrap().as_deref(), Some("{\"avatar\":\"ü\"}"));
    assert_eq!(store.get_state("empty").await.unwrap().as_deref(), Some(""));
    assert_eq!(store.get_state("TELEGRAM:UPDATE_OFFSET").await.unwrap(), None, "keys are exact");
}

/// A taken value is gone: a link code works once.
pub async fn taken_state_is_single_use(store: Arc<dyn Store>) {
    store.put_state("link_code:7Q2M-K9XD", "0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b").await.unwrap();
    assert_eq!(store.take_state("link_code:7Q2M-K9XD").await.unwrap().as_deref(), Some("0190a8f2-7c4e-7d3a-9b1e-2f4c6d8e0a1b"));
    assert_eq!(store.take_state("link_code:7Q2M-K9XD").await.unwrap(), None);
    assert_eq!(store.get_state("link_code:7Q2M-K9XD").await.unwrap(), None);
    assert_eq!(store.take_state("never-set").await.unwrap(), None);
}

/// Many takers racing for one value: exactly one gets it.
pub async fn taken_state_goes_to_one_taker_only(store: Arc<dyn Store>) {
    for round in 0..20 {
        let key = format!("link_code:race-{round}");
        store.put_state(&key, "winner").await.unwrap();
        let takers: Vec<_> = (0..8)
            .map(|_| {
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(async move { store.take_state(&key).await.unwrap() })
            })
            .collect();
        let mut got = 0;
        for t in takers {
            got += usize::from(t.await.unwrap().is_some());
        }
        assert_eq!(got, 1, "round {round}");
    }
}

/// A lease is its holder's until it expires; the holder renews it; then another may take it.
pub async fn lease_is_exclusive_until_it_expires(store: Arc<dyn Store>) {
    let ttl = Duration::seconds(30);
    let s = |n| at(0) + Duration::seconds(n);
    assert!(store.acquire_lease("telegram-poller", "node-a", s(0), ttl).await.unwrap());
    assert!(!store.acquire_lease("telegram-poller", "node-b", s(10), ttl).await.unwrap());
    assert!(store.acquire_lease("telegram-poller", "node-a", s(20), ttl).await.unwrap(), "the holder renews");
    assert!(!store.acquire_lease("telegram-poller", "node-b", s(40), ttl).await.unwrap(), "renewal extended it to 50 s");
    assert!(store.acquire_lease("reminders", "node-b", s(40), ttl).await.unwrap(), "leases are independent by name");
    assert!(store.acquire_lease("telegram-poller", "node-b", s(51), ttl).await.unwrap(), "expired: free to take");
    assert!(!store.acquire_lease("telegram-poller", "node-a", s(52), ttl).await.unwrap(), "the old holder lost it");
}

/// Releasing frees a lease at once, but only its holder can release it.
pub async fn released_lease_is_free_for_another_holder(store: Arc<dyn Store>) {
    let ttl = Duration::minutes(5);
    assert!(store.acquire_lease("reminders", "node-a", at(0), ttl).await.unwrap());
    store.release_lease("reminders", "node-b").await.unwrap();
    assert!(!store.acquire_lease("reminders", "node-c", at(1), ttl).await.unwrap(), "a stranger cannot release it");
    store.release_lease("reminders", "node-a").await.unwrap();
    assert!(store.acquire_lease("reminders", "node-b", at(1), ttl).await.unwrap());
    store.release_lease("never-held", "node-a").await.unwrap();
}

/// Holders racing for a free lease: exactly one wins.
pub async fn lease_goes_to_one_of_many_racing_holders(store: Arc<dyn Store>) {
    for round in 0..20 {
        let name = format!("race-{round}");
        let racers: Vec<_> = (0..8)
            .map(|i| {
                let (store, name) = (store.clone(), name.clone());
                tokio::spawn(async move { store.acquire_lease(&name, &format!("node-{i}"), at(0), Duration::seconds(30)).await.unwrap() })
            })
            .collect();
        let mut won = 0;
        for r in racers {
            won += usize::from(r.await.unwrap());
        }
        assert_eq!(won, 1, "round {round}");
    }
}
