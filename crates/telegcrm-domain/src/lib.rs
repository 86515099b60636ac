//! # telegcrm-domain
//!
//! The heart of Telegcrm, a CRM for Telegram conversations: entities ([`model`]), value types,
//! inbound events ([`event`]), the capture rules ([`ingest`]), search semantics ([`search`]),
//! the ports adapters implement ([`ports`]) and the [`CrmService`] that the REST API and library
//! users call. No I/O, no async runtime: it compiles into any service.

pub mod error;
pub mod event;
pub mod ids;
pub mod ingest;
pub mod model;
#[cfg(feature = "openapi")]
mod openapi;
pub mod page;
pub mod ports;
pub mod priority;
pub mod search;
pub mod service;
pub mod tag;
pub mod text;
pub mod values;

pub use error::{CrmError, DirectoryError, Entity, GatewayError, ParseError, StoreError};
pub use ids::{ActivityId, AvatarId, CannedReplyId, ContactId, ConversationId, FollowUpId, ImportJobId, MessageId, NoteId};
pub use model::{
    Access, Action, Activity, CannedReply, ChatKey, Contact, Conversation, ExternalReply, FollowUp, ForwardOrigin, Media, Member, Message,
    MessageDetails, MessageEdit, Note, ParkedUpdate, Quote, Reaction, Record, SnoozePreset, TextEntity, Workspace,
};
pub use page::{Cursor, Limit, Page, PageRequest};
pub use service::CrmService;
pub use tag::Tag;
pub use values::{
    ActivityKind, BotMembershipState, ChatType, ContactCategory, ConversationStatus, Direction, EntityKind, FollowUpStatus, FollowUpView,
    ForwardKind, MessageType, Priority, RelationshipStatus, Role,
};
