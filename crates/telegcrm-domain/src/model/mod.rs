//! The CRM's entities and the rules that change them. Stores call these so every store behaves the same.

mod activity;
mod canned;
mod chat_state;
mod contact;
mod conversation;
mod details;
mod followup;
mod message;
mod note;
mod parked;
mod record;
mod recount;
mod team;

pub use activity::Activity;
pub use canned::{CannedReply, Fill, MAX_CANNED_CHARS, MAX_CANNED_REPLIES, VARIABLES, fill, parse_shortcut, unknown_variables};
pub use chat_state::{BotMembership, ChatState, Silence};
pub use contact::{Contact, ContactChange};
pub use conversation::{Assign, ChatKey, Conversation, ConversationChange, CustomFields};
pub use details::{ExternalReply, ForwardOrigin, MessageDetails, Poll, PollOption, Quote, Reaction, Run, TextEntity, runs};
pub use followup::{FollowUp, FollowUpChange, SnoozePreset};
pub use message::{MAX_KEPT_EDITS, Media, Message, MessageEdit};
pub use note::{MAX_NOTE_CHARS, Note, mentions_in};
pub use parked::{MAX_PARKED_ERROR_CHARS, MAX_PARKED_RAW_BYTES, ParkedUpdate};
pub use record::Record;
pub use recount::{ContactCounts, ContactTally, ConversationCounts};
pub use team::{Access, Action, Member, Workspace};
