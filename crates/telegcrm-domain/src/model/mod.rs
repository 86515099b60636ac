//! The CRM's entities and the rules that change them. Stores call these so every store behaves the same.

mod contact;
mod conversation;
mod followup;
mod message;
mod recount;

pub use contact::{Contact, ContactChange};
pub use conversation::{ChatKey, Conversation, ConversationChange, CustomFields};
pub use followup::{FollowUp, FollowUpChange, SnoozePreset};
pub use message::{MAX_KEPT_EDITS, Media, Message, MessageEdit};
pub use recount::{ContactCounts, ContactTally, ConversationCounts};
