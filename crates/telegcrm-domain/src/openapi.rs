//! OpenAPI schemas of the value types whose JSON form is hand-written (feature `openapi`).
//!
//! The derived types (`#[derive(utoipa::ToSchema)]` behind the same feature) cover everything
//! else; these few serialise by hand, so their schemas say in words and patterns what
//! [`Tag::parse`] and [`Cursor::encode`] do.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::page::Cursor;
use crate::tag::Tag;

impl PartialSchema for Tag {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(Tag::PATTERN))
            .description(Some(
                "A tag: surrounding white space is trimmed; then 1 to 64 characters, none of them a control character. \
                 Tags compare ignoring case.",
            ))
            .into()
    }
}

impl ToSchema for Tag {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Tag")
    }
}

impl PartialSchema for Cursor {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^(?:[0-9a-f]{2})+$"))
            .max_length(Some(128))
            .description(Some("An opaque cursor: pass it back as `cursor` to continue the list."))
            .into()
    }
}

impl ToSchema for Cursor {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Cursor")
    }
}
