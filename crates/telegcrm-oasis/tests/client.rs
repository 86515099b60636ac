//! The OASIS client against the fake OASIS server: every envelope quirk and failure.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use telegcrm_domain::DirectoryError;
use telegcrm_domain::ports::{AvatarDirectory, AvatarRef};
use telegcrm_oasis::{OasisClient, OasisConfig, OasisError};
use telegcrm_testkit::fake_oasis::{Envelope, Failure, FakeAvatar, FakeOasis, NotFound, token_for};

fn ada() -> FakeAvatar {
    FakeAvatar::new("ada", "Ada", "Lovelace")
}

fn client(fake: &FakeOasis) -> OasisClient {
    OasisClient::new(OasisConfig::new(fake.url())).unwrap()
}

#[tokio::test]
async fn authenticate_returns_the_avatar_with_its_jwt() {
    let a = ada();
    let fake = FakeOasis::start(vec![a.clone()]);
    let avatar = client(&fake).authenticate("ada", "secret").await.unwrap();
    assert_eq!(avatar.avatar_id, a.id);
    assert_eq!(avatar.jwt_token, Some(token_for(a.id)));
    assert_eq!(avatar.full_name.as_deref(), Some("Ada Lovelace"));
    assert!(!format!("{avatar:?}").contains("fake-oasis-jwt"), "Debug must not show the token");
}

#[tokio::test]
async fn wrong_password_with_http_200_and_is_error_is_rejected() {
    let fake = FakeOasis::start(vec![ada()]);
    let err = client(&fake).authenticate("ada", "nope").await.unwrap_err();
    assert!(matches!(err, OasisError::Rejected(ref m) if m.contains("incorrect")), "{err:?}");
}

#[tokio::test]
async fn lookups_by_id_username_and_email_unwrap_nested_results() {
    let a = ada();
    let fake = FakeOasis::start(vec![a.clone()]);
    let c = client(&fake);
    assert_eq!(c.avatar_by_id(a.id).await.unwrap().unwrap().username.as_deref(), Some("ada"));
    assert_eq!(c.avatar_by_username("ada").await.unwrap().unwrap().avatar_id, a.id);
    assert_eq!(c.avatar_by_email("ada@example.org").await.unwrap().unwrap().avatar_id, a.id);
}

#[tokio::test]
async fn flat_and_pascal_case_envelopes_are_read() {
    let a = ada();
    let fake = FakeOasis::start(vec![a.clone()]);
    let c = client(&fake);
    fake.set_envelope(Envelope::Flat);
    assert_eq!(c.avatar_by_username("ada").await.unwrap().unwrap().avatar_id, a.id);
    fake.set_envelope(Envelope::Pascal);
    let avatar = c.avatar_by_username("ada").await.unwrap().unwrap();
    assert_eq!((avatar.avatar_id, avatar.email.as_deref()), (a.id, Some("ada@example.org")));
}

#[tokio::test]
async fn unknown_avatar_is_none_in_both_styles() {
    let fake = FakeOasis::start(vec![ada()]);
    let c = client(&fake);
    assert_eq!(c.avatar_by_username("nobody").await.unwrap(), None);
    fake.set_not_found(NotFound::Status404);
    assert_eq!(c.avatar_by_username("nobody").await.unwrap(), None);
    assert_eq!(c.find_avatar(&AvatarRef::Email("nobody@example.org".into())).await.unwrap(), None);
}

#[tokio::test]
async fn directory_maps_avatars_to_the_domain() {
    let a = ada();
    let fake = FakeOasis::start(vec![a.clone()]);
    let found = client(&fake).find_avatar(&AvatarRef::Id(a.id.into())).await.unwrap().unwrap();
    assert_eq!((found.id.as_uuid(), found.username.as_deref(), found.full_name.as_deref()), (a.id, Some("ada"), Some("Ada Lovelace")));
}

#[tokio::test]
async fn status_500_with_a_pascal_case_body_is_upstream() {
    let fake = FakeOasis::start(vec![ada()]);
    fake.set_failure(Failure::Status500);
    let err = client(&fake).avatar_by_username("ada").await.unwrap_err();
    assert!(matches!(err, OasisError::Upstream { status: 500, ref message } if message.contains("Unknown error occurred")), "{err:?}");
    let err = client(&fake).find_avatar(&AvatarRef::Username("ada".into())).await.unwrap_err();
    assert!(matches!(err, DirectoryError::Upstream(_)));
}

#[tokio::test]
async fn is_error_with_http_200_is_upstream_not_none() {
    let fake = FakeOasis::start(vec![ada()]);
    fake.set_failure(Failure::ErrorWith200);
    let err = client(&fake).find_avatar(&AvatarRef::Username("ada".into())).await.unwrap_err();
    assert!(err.to_string().contains("provider is offline"), "{err}");
}

#[tokio::test]
async fn a_hanging_oasis_times_out() {
    let fake = FakeOasis::start(vec![ada()]);
    fake.set_failure(Failure::Hang);
    let c = OasisClient::new(OasisConfig { timeout: Duration::from_millis(300), ..OasisConfig::new(fake.url()) }).unwrap();
    let started = Instant::now();
    let err = c.avatar_by_username("ada").await.unwrap_err();
    assert!(matches!(err, OasisError::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn oasis_down_is_upstream() {
    let c = OasisClient::new(OasisConfig { timeout: Duration::from_secs(2), ..OasisConfig::new("http://127.0.0.1:9") }).unwrap();
    let err = c.find_avatar(&AvatarRef::Username("ada".into())).await.unwrap_err();
    assert!(matches!(err, DirectoryError::Upstream(_)));
}

#[tokio::test]
async fn service_credentials_authenticate_once_and_send_the_api_key() {
    let a = ada();
    let fake = FakeOasis::start(vec![a.clone()]);
    fake.require_auth(true);
    let config =
        OasisConfig { api_key: Some("k-123".into()), credentials: Some(("ada".into(), "secret".into())), ..OasisConfig::new(fake.url()) };
    let c = OasisClient::new(config).unwrap();
    c.avatar_by_username("ada").await.unwrap().unwrap();
    c.avatar_by_email("ada@example.org").await.unwrap().unwrap();
    let requests = fake.requests();
    assert_eq!(requests.iter().filter(|r| r.line.ends_with("/authenticate")).count(), 1);
    assert!(requests.iter().all(|r| r.api_key.as_deref() == Some("k-123")));
    assert_eq!(requests[1].authorization, Some(format!("Bearer {}", token_for(a.id))));
}

#[tokio::test]
async fn usernames_with_special_characters_are_escaped_in_the_path() {
    let mut odd = FakeAvatar::new("ada lovelace/1", "Ada", "L");
    odd.email = "ada+crm@example.org".into();
    let fake = FakeOasis::start(vec![odd.clone()]);
    let c = client(&fake);
    assert_eq!(c.avatar_by_username("ada lovelace/1").await.unwrap().unwrap().avatar_id, odd.id);
    assert_eq!(c.avatar_by_email("ada+crm@example.org").await.unwrap().unwrap().avatar_id, odd.id);
}
