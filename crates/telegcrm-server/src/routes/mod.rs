//! HTTP handlers: thin translations between HTTP and one `CrmService` operation each.

pub mod activity;
pub mod canned;
pub mod contacts;
pub mod conversations;
pub mod export;
pub mod followups;
pub mod imports;
pub mod notes;
pub mod search;
pub mod system;
pub mod workspaces;

use std::str::FromStr;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use telegcrm_domain::{Cursor, Limit, PageRequest, ParseError};

use crate::error::ApiError;

/// The API prefix.
pub const PREFIX: &str = "/api/telegram-crm";

/// One API route: its method, its path under [`PREFIX`] and its handler.
type Entry = (Method, &'static str, actix_web::Route);

/// Every route under [`PREFIX`], literal segments before `{id}` ones. The OpenAPI document must
/// list exactly these (a test checks both ways).
fn table() -> Vec<Entry> {
    let r = web::route;
    vec![
        (Method::GET, "/openapi.json", r().to(system::openapi)),
        (Method::GET, "/conversations", r().to(conversations::list)),
        (Method::GET, "/conversations/search", r().to(search::conversations)),
        (Method::GET, "/conversations/{id}", r().to(conversations::get)),
        (Method::PATCH, "/conversations/{id}", r().to(conversations::patch)),
        (Method::POST, "/conversations/{id}/priority", r().to(conversations::priority)),
        (Method::POST, "/conversations/{id}/status", r().to(conversations::status)),
        (Method::POST, "/conversations/{id}/tags", r().to(conversations::add_tag)),
        (Method::DELETE, "/conversations/{id}/tags/{tag}", r().to(conversations::remove_tag)),
        (Method::POST, "/conversations/{id}/read", r().to(conversations::read)),
        (Method::POST, "/conversations/{id}/assign", r().to(conversations::assign)),
        (Method::GET, "/conversations/{id}/notes", r().to(notes::list)),
        (Method::GET, "/conversations/{id}/activity", r().to(activity::conversation)),
        (Method::POST, "/conversations/{id}/notes", r().to(notes::add)),
        (Method::GET, "/conversations/{id}/messages", r().to(conversations::messages)),
        (Method::POST, "/conversations/{id}/messages", r().to(conversations::send)),
        (Method::PATCH, "/conversations/{id}/messages/{telegramMessageId}", r().to(conversations::edit_message)),
        (Method::DELETE, "/conversations/{id}/messages/{telegramMessageId}", r().to(conversations::delete_message)),
        (Method::GET, "/conversations/{id}/messages/{telegramMessageId}/media", r().to(conversations::media)),
        (Method::POST, "/conversations/{id}/files", r().to(conversations::send_file)),
        (Method::GET, "/messages/search", r().to(search::messages)),
        (Method::GET, "/contacts", r().to(contacts::list)),
        (Method::GET, "/contacts/{id}", r().to(contacts::get)),
        (Method::PATCH, "/contacts/{id}", r().to(contacts::patch)),
        (Method::GET, "/contacts/{id}/conversations", r().to(contacts::conversations)),
        (Method::POST, "/contacts/{id}/link-avatar", r().to(contacts::link)),
        (Method::DELETE, "/contacts/{id}/link-avatar", r().to(contacts::unlink)),
        (Method::POST, "/followups", r().to(followups::create)),
        (Method::GET, "/followups", r().to(followups::list)),
        (Method::GET, "/followups/pending", r().to(followups::pending)),
        (Method::GET, "/followups/{id}", r().to(followups::get)),
        (Method::PATCH, "/followups/{id}", r().to(followups::patch)),
        (Method::DELETE, "/followups/{id}", r().to(followups::delete)),
        (Method::POST, "/followups/{id}/complete", r().to(followups::complete)),
        (Method::POST, "/followups/{id}/snooze", r().to(followups::snooze)),
        (Method::GET, "/activity", r().to(activity::list)),
        (Method::GET, "/canned-replies", r().to(canned::list)),
        (Method::POST, "/canned-replies", r().to(canned::create)),
        (Method::PATCH, "/canned-replies/{id}", r().to(canned::patch)),
        (Method::DELETE, "/canned-replies/{id}", r().to(canned::delete)),
        (Method::GET, "/export", r().to(export::get)),
        (Method::POST, "/imports", r().to(imports::create)),
        (Method::GET, "/imports", r().to(imports::list)),
        (Method::GET, "/imports/{id}", r().to(imports::get)),
        (Method::GET, "/workspaces", r().to(workspaces::list)),
        (Method::GET, "/workspaces/{ownerAvatarId}/members", r().to(workspaces::members)),
        (Method::POST, "/workspaces/{ownerAvatarId}/members", r().to(workspaces::add)),
        (Method::PATCH, "/workspaces/{ownerAvatarId}/members/{avatarId}", r().to(workspaces::change)),
        (Method::DELETE, "/workspaces/{ownerAvatarId}/members/{avatarId}", r().to(workspaces::remove)),
        (Method::GET, "/me", r().to(system::me)),
        (Method::POST, "/me/telegram-link", r().to(system::telegram_link)),
        (Method::POST, "/telegram/webhook", r().to(system::webhook)),
    ]
}

/// The registered routes: method and path under [`PREFIX`].
pub fn registered() -> Vec<(Method, &'static str)> {
    table().into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// Registers every route under [`PREFIX`]. A path asked for with a method it does not have
/// answers 405 with an `Allow` header (RFC 9110); an unknown path answers 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<(&'static str, Vec<(Method, actix_web::Route)>)> = Vec::new();
    for (method, path, route) in table() {
        match paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push((method, route)),
            None => paths.push((path, vec![(method, route)])),
        }
    }
    let mut scope = web::scope(PREFIX);
    for (path, routes) in paths {
        let allow = routes.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>().join(", ");
        let mut resource = web::resource(path);
        for (method, route) in routes {
            resource = resource.route(route.method(method));
        }
        resource = resource.default_service(web::to(move |req: HttpRequest| {
            let allow = allow.clone();
            async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { method: req.method().to_string(), allow }) }
        }));
        scope = scope.service(resource);
    }
    cfg.service(scope.default_service(web::to(system::not_found)));
}

/// The query string as a typed struct of optional strings (repeated keys: the last wins), which
/// the handler then parses with the domain's parsers. The struct also documents the parameters.
pub(crate) fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| ApiError::BadRequest(format!("malformed query string: {e}")))?;
    let map: serde_json::Map<String, serde_json::Value> = pairs.0.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
    serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| ApiError::BadRequest(format!("malformed query string: {e}")))
}

/// `limit` and `cursor` of a keyset list.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200, default = 50)]
    pub(crate) limit: Option<String>,
    /// The `nextCursor` of the previous page.
    #[param(schema_with = crate::openapi::keyset_cursor)]
    pub(crate) cursor: Option<String>,
}

/// Parses an optional query value with the domain's parser. A parameter given empty (`?status=`)
/// is a bad value like any other, not an absent one: the OpenAPI document can then say exactly
/// what is accepted.
pub(crate) fn opt<T: FromStr<Err = ParseError>>(v: Option<&str>) -> Result<Option<T>, ApiError> {
    v.map(str::trim).map(T::from_str).transpose().map_err(ApiError::from)
}

/// Parses an id from the path.
pub(crate) fn id<T: FromStr<Err = ParseError>>(v: &str) -> Result<T, ApiError> {
    T::from_str(v).map_err(ApiError::from)
}

/// A page request from `limit` and a cursor parameter.
pub(crate) fn page(limit: Option<&str>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    let limit = match limit.map(str::trim) {
        Some(l) => Limit::parse(l)?,
        None => Limit::DEFAULT,
    };
    let cursor = cursor.map(str::trim).map(Cursor::decode).transpose()?;
    Ok(PageRequest { limit, cursor })
}

/// Parses an RFC 3339 time.
pub(crate) fn time(field: &str, v: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    v.map(str::trim)
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
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ApiError::BadRequest(format!("invalid {field} {other:?}: expected true or false"))),
    }
}

/// An optional whole number, which JSON may write as `97` or as `97.0` (JSON Schema's `integer`
/// takes both); a fraction is an error.
pub(crate) fn whole<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<serde_json::Number>::deserialize(d)? {
        None => Ok(None),
        Some(n) => n
            .as_i64()
            .or_else(|| n.as_f64().and_then(whole_of))
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number"))),
    }
}

/// A float that is a whole number (`97.0`), as an integer; `None` for a fraction or beyond the
/// integers a float holds exactly.
pub(crate) fn whole_of(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// For PATCH bodies: tells "absent" (`None`) from "null" (`Some(None)`).
pub(crate) fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
