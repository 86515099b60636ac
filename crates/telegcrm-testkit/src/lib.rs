//! # telegcrm-testkit
//!
//! What every Telegcrm test shares: the store contract suite ([`contract`]) that every store
//! adapter must pass, realistic fixtures ([`fixtures`]), a [`clock::ManualClock`], and fake
//! Telegram Bot API and OASIS servers that speak the real HTTP protocols on a loopback port.

// Test support code: a failed expectation should panic loudly.
#![allow(clippy::unwrap_used)]

pub mod clock;
pub mod contract;
pub mod fake_oasis;
pub mod fake_telegram;
pub mod fixtures;
pub mod refusing;
