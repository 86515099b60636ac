//! HTTP handlers: thin translations between HTTP and one `CrmService` operation each.

pub mod contacts;
pub mod conversations;
pub mod followups;
pub mod search;
pub mod system;

use std::str::FromStr;

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use telegcrm_domain::{Cursor, Limit, PageRequest, ParseError};

use crate::error::ApiError;

/// The API prefix.
pub const PREFIX: &str = "/api/telegram-crm";

/// Registers every route under [`PREFIX`] (literal segments before `{id}` ones).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(PREFIX)
            .route("/openapi.json", web::get().to(system::openapi))
            .route("/conversations", web::get().to(conversations::list))
            .route("/conversations/search", web::get().to(search::conversations))
            .route("/conversations/{id}", web::get().to(conversations::get))
            .route("/conversations/{id}", web::patch().to(conversations::patch))
            .route("/conversations/{id}/priority", web::post().to(conversations::priority))
            .route("/conversations/{id}/status", web::post().to(conversations::status))
            .route("/conversations/{id}/tags", web::post().to(conversations::add_tag))
            .route("/conversations/{id}/tags/{tag}", web::delete().to(conversations::remove_tag))
            .route("/conversations/{id}/read", web::post().to(conversations::read))
            .route("/conversations/{id}/messages", web::get().to(conversations::messages))
            .route("/conversations/{id}/messages", web::post().to(conversations::send))
            .route("/messages/search", web::get().to(search::messages))
            .route("/contacts", web::get().to(contacts::list))
            .route("/contacts/{id}", web::get().to(contacts::get))
            .route("/contacts/{id}", web::patch().to(contacts::patch))
            .route("/contacts/{id}/conversations", web::get().to(contacts::conversations))
            .route("/contacts/{id}/link-avatar", web::post().to(contacts::link))
            .route("/contacts/{id}/link-avatar", web::delete().to(contacts::unlink))
            .route("/followups", web::post().to(followups::create))
            .route("/followups", web::get().to(followups::list))
            .route("/followups/pending", web::get().to(followups::pending))
            .route("/followups/{id}", web::get().to(followups::get))
            .route("/followups/{id}", web::patch().to(followups::patch))
            .route("/followups/{id}", web::delete().to(followups::delete))
            .route("/followups/{id}/complete", web::post().to(followups::complete))
            .route("/followups/{id}/snooze", web::post().to(followups::snooze))
            .route("/me", web::get().to(system::me))
            .route("/me/telegram-link", web::post().to(system::telegram_link))
            .route("/telegram/webhook", web::post().to(system::webhook))
            .default_service(web::to(system::not_found)),
    );
}

/// Parses an optional query value with the domain's parser.
pub(crate) fn opt<T: FromStr<Err = ParseError>>(v: Option<&str>) -> Result<Option<T>, ApiError> {
    v.map(str::trim).filter(|s| !s.is_empty()).map(T::from_str).transpose().map_err(ApiError::from)
}

/// Parses an id from the path.
pub(crate) fn id<T: FromStr<Err = ParseError>>(v: &str) -> Result<T, ApiError> {
    T::from_str(v).map_err(ApiError::from)
}

/// A page request from `limit` and a cursor parameter.
pub(crate) fn page(limit: Option<&str>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    let limit = match limit.map(str::trim).filter(|s| !s.is_empty()) {
        Some(l) => Limit::parse(l)?,
        None => Limit::DEFAULT,
    };
    let cursor = cursor.map(str::trim).filter(|s| !s.is_empty()).map(Cursor::decode).transpose()?;
    Ok(PageRequest { limit, cursor })
}

/// Parses an RFC 3339 time.
pub(crate) fn time(field: &str, v: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    v.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::BadRequest(format!("invalid {field} {s:?}: expected an RFC 3339 time such as 2026-03-02T09:00:00Z")))
        })
        .transpose()
}

/// Parses `true`/`false`.
pub(crate) fn flag(field: &str, v: Option<&str>) -> Result<bool, ApiError> {
    match v.map(str::trim) {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ApiError::BadRequest(format!("invalid {field} {other:?}: expected true or false"))),
    }
}

/// For PATCH bodies: tells "absent" (`None`) from "null" (`Some(None)`).
pub(crate) fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Query parameters as given (repeated keys: the last wins).
#[derive(Debug, Default)]
pub(crate) struct Params(std::collections::HashMap<String, String>);

impl Params {
    pub(crate) fn from_query(q: &str) -> Result<Self, ApiError> {
        web::Query::<Vec<(String, String)>>::from_query(q)
            .map(|q| Self(q.0.into_iter().collect()))
            .map_err(|e| ApiError::BadRequest(format!("malformed query string: {e}")))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}
