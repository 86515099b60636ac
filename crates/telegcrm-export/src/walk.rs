//! Every record of one owner, read through the service a page at a time, in one fixed order:
//! contacts (most recently contacted first), then each conversation (newest activity first)
//! followed by its messages (newest first), then follow-ups (soonest due first). The order is
//! the stores' listing order, so an export of a restored store lists the same records alike.

use std::collections::VecDeque;

use telegcrm_domain::ports::{ContactFilter, ConversationFilter};
use telegcrm_domain::values::FollowUpView;
use telegcrm_domain::{AvatarId, Conversation, ConversationId, CrmError, CrmService, Cursor, Limit, PageRequest, Record};

/// Which kinds of records a walk reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kinds {
    /// Contacts.
    pub contacts: bool,
    /// Conversations.
    pub conversations: bool,
    /// Messages (after their conversation; needs `conversations`).
    pub messages: bool,
    /// Follow-ups.
    pub followups: bool,
}

impl Kinds {
    /// Every kind.
    pub const ALL: Self = Self { contacts: true, conversations: true, messages: true, followups: true };
    /// None.
    pub const NONE: Self = Self { contacts: false, conversations: false, messages: false, followups: false };
}

/// Where a walk is.
#[derive(Debug)]
enum Stage {
    Contacts(Option<Cursor>),
    Conversations(Option<Cursor>),
    /// Conversations of a page read, to be written each with its messages; then the next page.
    Queue(Option<Cursor>),
    Messages {
        conversation: ConversationId,
        cursor: Option<Cursor>,
        then: Option<Cursor>,
    },
    FollowUps(Option<Cursor>),
    Done,
}

/// Reads an owner's records page by page.
#[derive(Debug)]
pub struct Walker<'a> {
    service: &'a CrmService,
    owner: AvatarId,
    kinds: Kinds,
    stage: Stage,
    queue: VecDeque<Conversation>,
}

fn page(cursor: Option<Cursor>) -> PageRequest {
    PageRequest { limit: Limit::new(Limit::MAX).unwrap_or_default(), cursor }
}

impl<'a> Walker<'a> {
    /// A walk over `owner`'s records of `kinds`.
    pub fn new(service: &'a CrmService, owner: AvatarId, kinds: Kinds) -> Self {
        Self { service, owner, kinds, stage: Stage::Contacts(None), queue: VecDeque::new() }
    }

    fn after_contacts(&self) -> Stage {
        if self.kinds.conversations { Stage::Conversations(None) } else { self.after_conversations() }
    }

    fn after_conversations(&self) -> Stage {
        if self.kinds.followups { Stage::FollowUps(None) } else { Stage::Done }
    }

    /// The next records, in order; `None` at the end. A page may be empty.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Record>>, CrmError> {
        let (s, owner) = (self.service, self.owner);
        let records = match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Done => return Ok(None),
            Stage::Contacts(_) if !self.kinds.contacts => {
                self.stage = self.after_contacts();
                Vec::new()
            }
            Stage::Contacts(cursor) => {
                let p = s.list_contacts(owner, &ContactFilter::default(), &page(cursor)).await?;
                self.stage = match p.next_cursor {
                    Some(c) => Stage::Contacts(Some(c)),
                    None => self.after_contacts(),
                };
                p.items.into_iter().map(Record::Contact).collect()
            }
            Stage::Conversations(cursor) => {
                let p = s.list_conversations(owner, &ConversationFilter::default(), &page(cursor)).await?;
                self.queue.extend(p.items);
                self.stage = Stage::Queue(p.next_cursor);
                Vec::new()
            }
            Stage::Queue(next) => match self.queue.pop_front() {
                Some(c) => {
                    self.stage = if self.kinds.messages {
                        Stage::Messages { conversation: c.id, cursor: None, then: next }
                    } else {
                        Stage::Queue(next)
                    };
                    vec![Record::Conversation(c)]
                }
                None => {
                    self.stage = match next {
                        Some(c) => Stage::Conversations(Some(c)),
                        None => self.after_conversations(),
                    };
                    Vec::new()
                }
            },
            Stage::Messages { conversation, cursor, then } => {
                let p = s.messages(owner, conversation, &page(cursor)).await?;
                self.stage = match p.next_cursor {
                    Some(c) => Stage::Messages { conversation, cursor: Some(c), then },
                    None => Stage::Queue(then),
                };
                p.items.into_iter().map(Record::Message).collect()
            }
            Stage::FollowUps(cursor) => {
                let p = s.list_followups(owner, FollowUpView::All, None, &page(cursor)).await?;
                self.stage = match p.next_cursor {
                    Some(c) => Stage::FollowUps(Some(c)),
                    None => Stage::Done,
                };
                p.items.into_iter().map(Record::FollowUp).collect()
            }
        };
        Ok(Some(records))
    }
}
