//! The dashboard in a real browser: headless Chromium driven over WebDriver against the real
//! program on a loopback port, with the test kit's fake Bot API and fake OASIS. Controls are
//! found only by their accessible names (docs: CONTRACT "Dashboard"). One test binary with
//! modules, so it links once; see docs/browser-tests.md.
#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod app;
mod browser;

mod a11y;
mod business;
mod chats;
mod contacts;
mod conversation;
mod export;
mod followups;
mod import;
mod inbox;
mod keyboard;
mod rich;
mod search;
mod security;
mod signin;
mod team;
