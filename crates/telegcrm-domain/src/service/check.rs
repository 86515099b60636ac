//! `telegcrm check`: every conversation's and contact's counters recounted from the stored
//! messages, differences reported and, on request, repaired; and the updates parked.

use std::fmt;

use crate::error::CrmError;
use crate::ids::AvatarId;
use crate::model::{Contact, ContactChange, ContactTally, Conversation, ConversationChange, ConversationCounts, Message, ParkedUpdate};
use crate::page::{Limit, Page, PageRequest};
use crate::ports::{ContactFilter, ConversationFilter};

use super::CrmService;

/// How many parked updates a check report lists (the oldest ids).
pub const CHECK_LISTS_PARKED: usize = 100;

/// What a check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Conversations checked.
    pub conversations: u64,
    /// Contacts checked.
    pub contacts: u64,
    /// Messages read.
    pub messages: u64,
    /// Every counter that differs from its recount.
    pub differences: Vec<Difference>,
    /// Whether the differences were written back.
    pub repaired: bool,
    /// Updates the store refused that are parked.
    pub parked: u64,
    /// The first [`CHECK_LISTS_PARKED`] of them, lowest update id first.
    pub parked_listed: Vec<ParkedUpdate>,
    /// Refused updates dropped because the cap of parked updates was reached.
    pub parked_dropped: u64,
}

/// One stored counter that differs from its recount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// `conversation` or `contact`.
    pub entity: &'static str,
    /// The record's id.
    pub id: String,
    /// Its owner.
    pub owner: AvatarId,
    /// The field, named as in the API.
    pub field: &'static str,
    /// What is stored.
    pub stored: String,
    /// What the messages say.
    pub recounted: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} (owner {}): {} stored {}, recounted {}", self.entity, self.id, self.owner, self.field, self.stored, self.recounted)
    }
}

/// Pages through a whole list.
async fn all<T, F, Fut>(mut page: F) -> Result<Vec<T>, CrmError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, crate::StoreError>>,
{
    let limit = Limit::new(Limit::MAX)?;
    let mut request = PageRequest { limit, cursor: None };
    let mut out = Vec::new();
    loop {
        let p = page(request).await?;
        out.extend(p.items);
        match p.next_cursor {
            Some(c) => request = PageRequest { limit, cursor: Some(c) },
            None => return Ok(out),
        }
    }
}

impl CrmService {
    /// Recounts every owner's conversations and contacts from their messages
    /// ([`ConversationCounts::of`], [`ContactTally`]) and reports what differs; with `repair`,
    /// writes the recounted values. Meant for a quiet store: messages captured while it runs may
    /// be reported (run it again). Also counts and lists the parked updates.
    pub async fn check(&self, repair: bool) -> Result<CheckReport, CrmError> {
        let mut report = CheckReport { repaired: repair, ..CheckReport::default() };
        for owner in self.store.list_owners().await? {
            self.check_owner(owner, repair, &mut report).await?;
        }
        report.parked = self.store.count_parked().await?;
        report.parked_listed = self.store.list_parked(None, CHECK_LISTS_PARKED).await?;
        report.parked_dropped = self.store.dropped_count().await?;
        Ok(report)
    }

    async fn check_owner(&self, owner: AvatarId, repair: bool, report: &mut CheckReport) -> Result<(), CrmError> {
        let store = &self.store;
        let conversations: Vec<Conversation> =
            all(|p| async move { store.list_conversations(owner, &ConversationFilter::default(), &p).await }).await?;
        let contacts: Vec<Contact> = all(|p| async move { store.list_contacts(owner, &ContactFilter::default(), &p).await }).await?;
        let mut tally = ContactTally::new(&contacts);
        // Repairs wait until every list is read: they move the lists' sort keys.
        let mut conversation_repairs = Vec::new();
        for c in &conversations {
            let id = c.id;
            let messages: Vec<Message> = all(|p| async move { store.list_messages(owner, id, &p).await }).await?;
            report.messages += messages.len() as u64;
            for m in &messages {
                tally.add(c, m);
            }
            let counts = ConversationCounts::of(c, &messages);
            let found = counts.differences(c);
            if !found.is_empty() {
                conversation_repairs.push((c.id, counts));
            }
            report.differences.extend(found.into_iter().map(|(field, stored, recounted)| Difference {
                entity: "conversation",
                id: c.id.to_string(),
                owner,
                field,
                stored,
                recounted,
            }));
        }
        let mut contact_repairs = Vec::new();
        for c in &contacts {
            let counts = tally.counts(c.id);
            let found = counts.differences(c);
            if !found.is_empty() {
                contact_repairs.push((c.id, counts));
            }
            report.differences.extend(found.into_iter().map(|(field, stored, recounted)| Difference {
                entity: "contact",
                id: c.id.to_string(),
                owner,
                field,
                stored,
                recounted,
            }));
        }
        report.conversations += conversations.len() as u64;
        report.contacts += contacts.len() as u64;
        if repair {
            let now = self.clock.now();
            for (id, counts) in conversation_repairs {
                let change = ConversationChange { recount: Some(counts), ..ConversationChange::default() };
                store.update_conversation(owner, id, &change, now).await?;
            }
            for (id, counts) in contact_repairs {
                let change = ContactChange { recount: Some(counts), ..ContactChange::default() };
                store.update_contact(owner, id, &change, now).await?;
            }
        }
        Ok(())
    }
}
