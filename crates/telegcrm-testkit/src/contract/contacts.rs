//! Contacts: created from the first message, refreshed from Telegram, edited by hand, per owner.

use std::sync::Arc;
use telegcrm_domain::Access;

use telegcrm_domain::event::TelegramUser;
use telegcrm_domain::ports::{ContactFilter, Store};
use telegcrm_domain::service::ContactUpdate;
use telegcrm_domain::{ContactCategory, ContactId, PageRequest, RelationshipStatus};

use super::Crm;
use crate::fixtures::{alexey, at, business_chat, incoming, mariana, msg, outgoing, private_chat, tag, xiaolong, zoe};

/// Gives each person one message so that they become contacts; returns their contact ids in order.
async fn meet(crm: &Crm, people: &[TelegramUser]) -> Vec<ContactId> {
    let events = (1..).zip(people).map(|(n, p)| msg(incoming(&private_chat(crm.owner, p), 1, "Hallo", at(n))));
    crm.ingest(events).await;
    let mut ids = Vec::new();
    for p in people {
        ids.push(crm.contact(p.id).await.id);
    }
    ids
}

async fn names(crm: &Crm, filter: ContactFilter) -> Vec<String> {
    let mut names: Vec<String> = crm.contacts(&filter).await.into_iter().map(|c| c.first_name).collect();
    names.sort();
    names
}

/// The sender of the first message becomes a contact with their Telegram profile.
pub async fn first_message_creates_the_contact(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Hallo, hier ist Zoë", at(3)))]).await;
    let c = crm.contact(zoe().id).await;
    assert_eq!((c.first_name.as_str(), c.last_name.as_deref()), ("Zoë", Some("Ünal")));
    assert_eq!((c.username.as_deref(), c.language_code.as_deref()), (Some("zoe_unal"), Some("de")));
    assert_eq!((c.owner_avatar_id, c.relationship_status), (crm.owner, RelationshipStatus::New));
    assert_eq!((c.total_messages, c.last_contacted_at), (1, at(3)));
    let conv = crm.conversation(&chat).await;
    assert_eq!(conv.contact_id, Some(c.id));
    assert_eq!(conv.contact_name.as_deref(), Some("Zoë Ünal"));
    assert_eq!(conv.contact_username.as_deref(), Some("zoe_unal"));
    crm.ingest([msg(incoming(&chat, 2, "Noch etwas", at(4)))]).await;
    let again = crm.contacts(&ContactFilter::default()).await;
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].total_messages, again[0].last_contacted_at), (c.id, 2, at(4)));
}

/// A new Telegram name or username refreshes the contact; business fields typed by hand stay.
pub async fn contact_refresh_keeps_hand_edited_fields(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let id = meet(&crm, &[zoe()]).await[0];
    let update = ContactUpdate {
        company: Some(Some("Ünal Logistik GmbH".into())),
        email: Some(Some("zoe@uenal-logistik.de".into())),
        phone_number: Some(Some("+49 30 1234567".into())),
        notes: Some(Some("Prefers calls after 14:00".into())),
        category: Some(Some(ContactCategory::Client)),
        tags: Some(vec![tag("VIP")]),
        ..Default::default()
    };
    let edited = crm.service.update_contact(&crm.me(), id, update).await.unwrap();
    let renamed = TelegramUser { last_name: Some("Ünal-Schmidt".into()), username: Some("zoe_schmidt".into()), ..zoe() };
    let chat = private_chat(crm.owner, &renamed);
    crm.ingest([msg(incoming(&chat, 2, "Ich habe geheiratet 🎉", at(10)))]).await;
    let c = crm.contact(zoe().id).await;
    assert_eq!(c.id, id);
    assert_eq!((c.last_name.as_deref(), c.username.as_deref()), (Some("Ünal-Schmidt"), Some("zoe_schmidt")));
    assert_eq!((c.company, c.email, c.phone_number, c.notes), (edited.company, edited.email, edited.phone_number, edited.notes));
    assert_eq!((c.category, c.tags), (Some(ContactCategory::Client), vec![tag("vip")]));
    let conv = crm.conversation(&chat).await;
    assert_eq!(conv.contact_name.as_deref(), Some("Zoë Ünal-Schmidt"));
    assert_eq!(conv.contact_username.as_deref(), Some("zoe_schmidt"));
    // A profile without a username (privacy settings) does not erase the one we know.
    let hidden = TelegramUser { username: None, ..renamed };
    crm.ingest([msg(incoming(&private_chat(crm.owner, &hidden), 3, "Noch da", at(11)))]).await;
    assert_eq!(crm.contact(zoe().id).await.username.as_deref(), Some("zoe_schmidt"));
}

/// Two owners who talk to the same Telegram user each have their own contact.
pub async fn contacts_are_per_owner(store: Arc<dyn Store>) {
    let a = Crm::new(store);
    let b = a.other_owner();
    let a_id = meet(&a, &[zoe()]).await[0];
    let b_id = meet(&b, &[zoe()]).await[0];
    assert_ne!(a_id, b_id);
    let update = ContactUpdate { company: Some(Some("Acme".into())), ..Default::default() };
    a.service.update_contact(&Access::owner(a.owner), a_id, update).await.unwrap();
    let theirs = b.contacts(&ContactFilter::default()).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!((theirs[0].id, theirs[0].owner_avatar_id, theirs[0].company.as_deref()), (b_id, b.owner, None));
    assert_eq!(a.contacts(&ContactFilter::default()).await.len(), 1);
}

/// The owner's first answer turns a new contact into an active one.
pub async fn answering_makes_a_new_contact_active(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let chat = private_chat(crm.owner, &zoe());
    crm.ingest([msg(incoming(&chat, 1, "Hallo", at(1)))]).await;
    assert_eq!(crm.contact(zoe().id).await.relationship_status, RelationshipStatus::New);
    crm.ingest([msg(outgoing(&chat, 2, "Bonjour !", at(2)))]).await;
    let c = crm.contact(zoe().id).await;
    assert_eq!((c.relationship_status, c.total_messages, c.last_contacted_at), (RelationshipStatus::Active, 2, at(2)));
}

/// `q` finds text in first or last name, username, company or email, ignoring case and accents.
pub async fn contacts_filter_by_text_in_name_username_company_and_email(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let ids = meet(&crm, &[zoe(), alexey(), mariana(), xiaolong()]).await;
    let update = ContactUpdate {
        company: Some(Some("Ünal Logistik GmbH".into())),
        email: Some(Some("zoe@uenal.example".into())),
        ..Default::default()
    };
    crm.service.update_contact(&crm.me(), ids[0], update).await.unwrap();
    let update = ContactUpdate { email: Some(Some("m.garcia@correo.example".into())), ..Default::default() };
    crm.service.update_contact(&crm.me(), ids[2], update).await.unwrap();
    let q = |q: &str| ContactFilter { q: Some(q.into()), ..Default::default() };
    assert_eq!(names(&crm, q("ZOE")).await, ["Zoë"], "first name, accent-insensitive");
    assert_eq!(names(&crm, q("unal")).await, ["Zoë"], "last name");
    assert_eq!(names(&crm, q("СМИРН")).await, ["Алексей"], "Cyrillic, any case, part of a word");
    assert_eq!(names(&crm, q("xiaolong_")).await, ["小龍"], "username");
    assert_eq!(names(&crm, q("李")).await, ["小龍"], "Han script");
    assert_eq!(names(&crm, q("logistik")).await, ["Zoë"], "company");
    assert_eq!(names(&crm, q("correo.example")).await, ["Mariana"], "email");
    assert_eq!(names(&crm, q("  garcía ")).await, ["Mariana"], "trimmed");
    assert!(names(&crm, q("Ximena")).await.is_empty());
    assert_eq!(names(&crm, q("   ")).await.len(), 4, "a blank q filters nothing");
}

/// Contacts filter by category and by tag (ignoring case), ANDed.
pub async fn contacts_filter_by_category_and_tag(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let ids = meet(&crm, &[zoe(), alexey(), mariana()]).await;
    let set = |category, tags: &[&str]| ContactUpdate {
        category: Some(Some(category)),
        tags: Some(tags.iter().map(|t| tag(t)).collect()),
        ..Default::default()
    };
    crm.service.update_contact(&crm.me(), ids[0], set(ContactCategory::Client, &[])).await.unwrap();
    crm.service.update_contact(&crm.me(), ids[1], set(ContactCategory::Prospect, &["Lead"])).await.unwrap();
    crm.service.update_contact(&crm.me(), ids[2], set(ContactCategory::Client, &[" lead ", "Madrid"])).await.unwrap();
    let client = || ContactFilter { category: Some(ContactCategory::Client), ..Default::default() };
    assert_eq!(names(&crm, client()).await, ["Mariana", "Zoë"]);
    assert_eq!(names(&crm, ContactFilter { tag: Some(tag("LEAD")), ..Default::default() }).await, ["Mariana", "Алексей"]);
    assert_eq!(names(&crm, ContactFilter { tag: Some(tag("lead")), ..client() }).await, ["Mariana"]);
    assert!(names(&crm, ContactFilter { category: Some(ContactCategory::Vendor), ..Default::default() }).await.is_empty());
}

/// A contact's conversations are the chats with that person (bot and business chats alike).
pub async fn contact_conversations_are_that_contacts_only(store: Arc<dyn Store>) {
    let crm = Crm::new(store);
    let bot_chat = private_chat(crm.owner, &zoe());
    let personal = business_chat(crm.owner, &zoe(), "bc-Zx81kQ");
    let other = private_chat(crm.owner, &alexey());
    crm.ingest([
        msg(incoming(&bot_chat, 1, "Hallo Bot", at(1))),
        msg(incoming(&personal, 1, "Hallo Inès", at(2))),
        msg(incoming(&other, 1, "Привет", at(3))),
    ])
    .await;
    let zoe_id = crm.contact(zoe().id).await.id;
    let page = crm.service.contact_conversations(crm.owner, zoe_id, &PageRequest::default()).await.unwrap();
    let mut found: Vec<Option<String>> = page.items.iter().map(|c| c.business_connection_id.clone()).collect();
    found.sort();
    assert_eq!(found, [None, Some("bc-Zx81kQ".to_owned())]);
    assert!(page.items.iter().all(|c| c.contact_id == Some(zoe_id) && c.telegram_chat_id == zoe().id));
}
