//! Sessions: a random 256-bit id in a cookie, the avatar and CSRF token kept server-side.
//!
//! The store is a port ([`SessionStore`]); [`MemorySessions`] keeps them in this process, so
//! with several instances behind a load balancer use sticky sessions (see docs/dashboard.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;
use telegcrm_domain::AvatarId;

/// How long a session lives without a request.
pub const IDLE: Duration = Duration::from_secs(12 * 3600);

/// The session cookie's name.
pub const COOKIE: &str = "telegcrm_session";

/// A signed-in browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// The cookie value (64 hex digits).
    pub id: String,
    /// Who signed in.
    pub avatar: AvatarId,
    /// The CSRF token every state-changing request must carry (64 hex digits).
    pub csrf: String,
}

/// 256 random bits from the thread's CSPRNG, as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where sessions live.
pub trait SessionStore: Send + Sync + std::fmt::Debug {
    /// A new session for `avatar`.
    fn create(&self, avatar: AvatarId, now: Instant) -> Session;
    /// The live session with this id, renewed (idle expiry restarts); `None` when unknown or expired.
    fn get(&self, id: &str, now: Instant) -> Option<Session>;
    /// Ends a session.
    fn remove(&self, id: &str);
}

/// Sessions in this process's memory.
#[derive(Debug)]
pub struct MemorySessions {
    idle: Duration,
    map: Mutex<HashMap<String, (Session, Instant)>>,
}

impl MemorySessions {
    /// Sessions that expire after `idle` without use.
    pub fn new(idle: Duration) -> Self {
        Self { idle, map: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Session, Instant)>> {
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for MemorySessions {
    fn default() -> Self {
        Self::new(IDLE)
    }
}

impl SessionStore for MemorySessions {
    fn create(&self, avatar: AvatarId, now: Instant) -> Session {
        let session = Session { id: random_token(), avatar, csrf: random_token() };
        let mut map = self.lock();
        let idle = self.idle;
        map.retain(|_, (_, seen)| now.saturating_duration_since(*seen) < idle);
        map.insert(session.id.clone(), (session.clone(), now));
        session
    }

    fn get(&self, id: &str, now: Instant) -> Option<Session> {
        let mut map = self.lock();
        let (session, seen) = map.get_mut(id)?;
        if now.saturating_duration_since(*seen) >= self.idle {
            map.remove(id);
            return None;
        }
        *seen = now;
        Some(session.clone())
    }

    fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
}

/// Whether a presented CSRF token is the session's, compared in constant time.
pub fn csrf_ok(session: &Session, presented: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    presented.is_some_and(|p| bool::from(p.as_bytes().ct_eq(session.csrf.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_when_idle_and_renew_on_use() {
        let store = MemorySessions::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let s = store.create(AvatarId::new(), t0);
        assert_eq!(s.id.len(), 64);
        assert_ne!(s.id, s.csrf);
        assert!(store.get(&s.id, t0 + Duration::from_secs(50)).is_some());
        assert!(store.get(&s.id, t0 + Duration::from_secs(100)).is_some(), "use renews");
        assert!(store.get(&s.id, t0 + Duration::from_secs(161)).is_none(), "idle too long");
        assert!(store.get(&s.id, t0 + Duration::from_secs(100)).is_none(), "gone for good");
    }

    #[test]
    fn sign_out_ends_the_session_and_tokens_differ() {
        let store = MemorySessions::default();
        let now = Instant::now();
        let a = store.create(AvatarId::new(), now);
        let b = store.create(AvatarId::new(), now);
        assert_ne!(a.id, b.id);
        store.remove(&a.id);
        assert!(store.get(&a.id, now).is_none());
        assert!(store.get(&b.id, now).is_some());
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        let s = MemorySessions::default().create(AvatarId::new(), Instant::now());
        assert!(csrf_ok(&s, Some(&s.csrf.clone())));
        assert!(!csrf_ok(&s, None));
        assert!(!csrf_ok(&s, Some("")));
        assert!(!csrf_ok(&s, Some(&s.csrf[..63])));
        assert!(!csrf_ok(&s, Some(&s.csrf.to_uppercase())));
    }
}
