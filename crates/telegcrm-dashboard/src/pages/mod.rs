//! The pages. Each handler parses, calls one or two `CrmService` operations, and renders.

mod canned;
mod contacts;
mod conversation;
mod followups;
mod import;
mod inbox;
mod search;
mod settings;
mod sign_in;
pub(crate) mod team;
pub(crate) mod view;

use actix_web::web;

use crate::{assets, events};

/// Registers every dashboard route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(sign_in::root))
        .route("/assets/{file}", web::get().to(assets::serve))
        .route("/sign-in", web::get().to(sign_in::page))
        .route("/sign-in", web::post().to(sign_in::submit))
        .route("/sign-out", web::post().to(sign_in::sign_out))
        .route("/inbox", web::get().to(inbox::page))
        .route("/inbox/items", web::get().to(inbox::items))
        .route("/conversations/{id}", web::get().to(conversation::page))
        .route("/conversations/{id}/older", web::get().to(conversation::older))
        .route("/conversations/{id}/latest", web::get().to(conversation::latest))
        .route("/conversations/{id}/messages", web::post().to(conversation::send))
        .route("/conversations/{id}/messages/{tg}/edit", web::post().to(conversation::edit))
        .route("/conversations/{id}/messages/{tg}/delete", web::post().to(conversation::delete))
        .route("/conversations/{id}/messages/{tg}/media", web::get().to(conversation::media))
        .route("/conversations/{id}/files", web::post().to(conversation::send_file))
        .route("/conversations/{id}/assign", web::post().to(conversation::assign))
        .route("/conversations/{id}/notes", web::post().to(conversation::add_note))
        .route("/mentions", web::get().to(team::mentions))
        .route("/activity", web::get().to(team::activity))
        .route("/conversations/{id}/priority", web::post().to(conversation::priority))
        .route("/conversations/{id}/status", web::post().to(conversation::status))
        .route("/conversations/{id}/tags", web::post().to(conversation::add_tag))
        .route("/conversations/{id}/tags/remove", web::post().to(conversation::remove_tag))
        .route("/conversations/{id}/summary", web::post().to(conversation::summary))
        .route("/conversations/{id}/follow-ups", web::post().to(conversation::add_followup))
        .route("/follow-ups", web::get().to(followups::page))
        .route("/follow-ups/{id}/complete", web::post().to(followups::complete))
        .route("/follow-ups/{id}/snooze", web::post().to(followups::snooze))
        .route("/follow-ups/{id}/edit", web::post().to(followups::edit))
        .route("/follow-ups/{id}/cancel", web::post().to(followups::cancel))
        .route("/contacts", web::get().to(contacts::list))
        .route("/contacts/{id}", web::get().to(contacts::page))
        .route("/contacts/{id}", web::post().to(contacts::save))
        .route("/contacts/{id}/link", web::post().to(contacts::link))
        .route("/contacts/{id}/unlink", web::post().to(contacts::unlink))
        .route("/search", web::get().to(search::page))
        .route("/settings", web::get().to(settings::page))
        .route("/settings/telegram-link", web::post().to(settings::link))
        .route("/settings/export", web::get().to(settings::export))
        .route("/settings/import", web::post().to(import::upload))
        .route("/settings/imports/{id}", web::get().to(import::progress))
        .route("/canned-replies", web::get().to(canned::page))
        .route("/canned-replies", web::post().to(canned::add))
        .route("/canned-replies/{id}", web::post().to(canned::save))
        .route("/canned-replies/{id}/delete", web::post().to(canned::delete))
        .route("/team", web::get().to(team::page))
        .route("/team/members", web::post().to(team::invite))
        .route("/team/members/{avatar}/role", web::post().to(team::change_role))
        .route("/team/members/{avatar}/remove", web::post().to(team::remove))
        .route("/workspace", web::post().to(team::switch))
        .route("/events", web::get().to(events::stream));
}
