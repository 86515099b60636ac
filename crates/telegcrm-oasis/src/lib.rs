//! # telegcrm-oasis
//!
//! The OASIS avatar client: authenticate, and look avatars up by id, username or email through
//! the ONODE WebAPI. It reads OASIS's `OASISResult` envelopes robustly (see [`envelope`]) and
//! implements the domain's `AvatarDirectory`: an unknown avatar is `Ok(None)`, any OASIS failure
//! is `DirectoryError::Upstream`.

pub mod client;
pub mod envelope;
pub mod error;

pub use client::{DEFAULT_TIMEOUT, OasisClient, OasisConfig};
pub use envelope::OasisAvatar;
pub use error::OasisError;
