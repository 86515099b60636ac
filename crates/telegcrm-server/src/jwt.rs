//! OASIS avatar JWTs: HS256, avatar GUID in claim `id` (or `sub`), `exp` required.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use telegcrm_domain::AvatarId;

use crate::config::Secret;

/// Why a token was refused. The reason is logged at debug level; clients only learn "invalid".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts of JSON.
    #[error("malformed token")]
    Malformed,
    /// Not HS256.
    #[error("unsupported algorithm {0}")]
    Algorithm(String),
    /// The signature does not verify.
    #[error("bad signature")]
    Signature,
    /// No `exp`, or it has passed.
    #[error("expired or no exp claim")]
    Expired,
    /// Not yet valid (`nbf`).
    #[error("not yet valid")]
    NotYetValid,
    /// No avatar id in `id` or `sub`.
    #[error("no avatar id in claim id or sub")]
    NoAvatar,
    /// Issuer or audience differ from the configured ones.
    #[error("wrong issuer or audience")]
    Audience,
}

/// Verifies OASIS JWTs.
#[derive(Debug, Clone)]
pub struct JwtVerifier {
    key: Secret,
    issuer: Option<String>,
    audience: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    id: Option<String>,
    sub: Option<String>,
    exp: Option<f64>,
    nbf: Option<f64>,
    iss: Option<String>,
    aud: Option<serde_json::Value>,
}

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY: f64 = 30.0;

impl JwtVerifier {
    /// A verifier for tokens signed with `key`, optionally requiring an issuer and audience.
    pub fn new(key: Secret, issuer: Option<String>, audience: Option<String>) -> Self {
        Self { key, issuer, audience }
    }

    /// The avatar a valid token stands for, at `now` (seconds since the epoch).
    pub fn verify(&self, token: &str, now: i64) -> Result<AvatarId, JwtError> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(JwtError::Malformed);
        };
        let header: Header = decode_json(h)?;
        if header.alg != "HS256" {
            return Err(JwtError::Algorithm(header.alg));
        }
        let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.expose().as_bytes()).map_err(|_| JwtError::Signature)?;
        mac.update(h.as_bytes());
        mac.update(b".");
        mac.update(c.as_bytes());
        // verify_slice compares in constant time.
        mac.verify_slice(&signature).map_err(|_| JwtError::Signature)?;
        let claims: Claims = decode_json(c)?;
        let now = now as f64;
        match claims.exp {
            Some(exp) if exp + LEEWAY > now => {}
            _ => return Err(JwtError::Expired),
        }
        if claims.nbf.is_some_and(|nbf| nbf - LEEWAY > now) {
            return Err(JwtError::NotYetValid);
        }
        if let Some(iss) = &self.issuer
            && claims.iss.as_deref() != Some(iss.as_str())
        {
            return Err(JwtError::Audience);
        }
        if let Some(aud) = &self.audience {
            let ok = match &claims.aud {
                Some(serde_json::Value::String(a)) => a == aud,
                Some(serde_json::Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(aud)),
                _ => false,
            };
            if !ok {
                return Err(JwtError::Audience);
            }
        }
        claims.id.or(claims.sub).and_then(|s| s.parse().ok()).ok_or(JwtError::NoAvatar)
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, JwtError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

/// Signs claims with HS256 (tests, and tools that mint tokens for API clients).
pub fn sign_hs256(key: &str, claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{body}");
    let sig = match Hmac::<Sha256>::new_from_slice(key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(signing_input.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    format!("{signing_input}.{sig}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const KEY: &str = "oasis-secret-key-for-tests";
    const NOW: i64 = 1_780_000_000;

    fn verifier() -> JwtVerifier {
        JwtVerifier::new(Secret::new(KEY), None, None)
    }

    #[test]
    fn a_valid_token_names_its_avatar_in_id_or_sub() {
        let avatar = AvatarId::new();
        let t = sign_hs256(KEY, &json!({"id": avatar.to_string(), "exp": NOW + 900}));
        assert_eq!(verifier().verify(&t, NOW), Ok(avatar));
        let t = sign_hs256(KEY, &json!({"sub": avatar.to_string(), "exp": NOW + 900}));
        assert_eq!(verifier().verify(&t, NOW), Ok(avatar));
    }

    #[test]
    fn expired_unsigned_and_foreign_tokens_are_refused() {
        let avatar = AvatarId::new().to_string();
        assert_eq!(verifier().verify(&sign_hs256(KEY, &json!({"id": avatar, "exp": NOW - 60})), NOW), Err(JwtError::Expired));
        assert_eq!(verifier().verify(&sign_hs256(KEY, &json!({"id": avatar})), NOW), Err(JwtError::Expired));
        assert_eq!(verifier().verify(&sign_hs256("other-key", &json!({"id": avatar, "exp": NOW + 60})), NOW), Err(JwtError::Signature));
        assert_eq!(verifier().verify(&sign_hs256(KEY, &json!({"id": "admin", "exp": NOW + 60})), NOW), Err(JwtError::NoAvatar));
        let none_alg = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode(br#"{"id":"x"}"#));
        assert_eq!(verifier().verify(&none_alg, NOW), Err(JwtError::Algorithm("none".into())));
        for garbage in ["", "a.b", "a.b.c.d", "!!!.???.***"] {
            assert!(verifier().verify(garbage, NOW).is_err(), "{garbage}");
        }
    }

    #[test]
    fn tampering_with_the_claims_breaks_the_signature() {
        let t = sign_hs256(KEY, &json!({"id": AvatarId::new().to_string(), "exp": NOW + 60}));
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({"id": AvatarId::new().to_string(), "exp": NOW + 60}).to_string());
        parts[1] = &forged;
        assert_eq!(verifier().verify(&parts.join("."), NOW), Err(JwtError::Signature));
    }

    #[test]
    fn issuer_and_audience_are_checked_when_configured() {
        let v = JwtVerifier::new(Secret::new(KEY), Some("OASIS".into()), Some("OASIS".into()));
        let avatar = AvatarId::new();
        let good = sign_hs256(KEY, &json!({"id": avatar.to_string(), "exp": NOW + 60, "iss": "OASIS", "aud": ["OASIS"]}));
        assert_eq!(v.verify(&good, NOW), Ok(avatar));
        let bad = sign_hs256(KEY, &json!({"id": avatar.to_string(), "exp": NOW + 60, "iss": "Other", "aud": "OASIS"}));
        assert_eq!(v.verify(&bad, NOW), Err(JwtError::Audience));
    }
}
