//! OASIS avatar JWTs: HS256, avatar GUID in claim `id` (or `sub`), `exp` required.
//!
//! Verification is `jsonwebtoken`'s (signature in constant time, algorithm pinned, `exp`/`nbf`
//! with leeway, issuer and audience); this module only says which rules OASIS tokens follow and
//! where the avatar id is.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use telegcrm_domain::AvatarId;

use crate::config::Secret;

/// Why a token was refused. The reason is logged at debug level; clients only learn "invalid".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts of JSON, or claims of the wrong types.
    #[error("malformed token")]
    Malformed,
    /// Not HS256.
    #[error("unsupported algorithm")]
    Algorithm,
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

impl From<jsonwebtoken::errors::Error> for JwtError {
    fn from(e: jsonwebtoken::errors::Error) -> Self {
        match e.kind() {
            ErrorKind::InvalidSignature => Self::Signature,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::MissingAlgorithm => Self::Algorithm,
            ErrorKind::ExpiredSignature => Self::Expired,
            ErrorKind::MissingRequiredClaim(claim) if claim == "exp" => Self::Expired,
            ErrorKind::ImmatureSignature => Self::NotYetValid,
            ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience | ErrorKind::MissingRequiredClaim(_) => Self::Audience,
            _ => Self::Malformed,
        }
    }
}

/// Verifies OASIS JWTs.
#[derive(Clone)]
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier").field("key", &"***").field("validation", &self.validation).finish()
    }
}

/// The claims the CRM reads; `jsonwebtoken` checks `exp`, `nbf`, `iss` and `aud` itself.
#[derive(Deserialize)]
struct Claims {
    id: Option<String>,
    sub: Option<String>,
}

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY: u64 = 30;

impl JwtVerifier {
    /// A verifier for tokens signed with `key`, optionally requiring an issuer and audience; none
    /// for an empty key (a blank `OASIS_JWT_SECRET` means JWTs are not configured).
    pub fn new(key: Secret, issuer: Option<String>, audience: Option<String>) -> Option<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        match &issuer {
            Some(iss) => {
                validation.set_issuer(&[iss]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            // OASIS tokens may carry an audience the CRM was not told to require.
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        let key = DecodingKey::from_secret(key.expose().as_bytes()).ok()?;
        Some(Self { key, validation })
    }

    /// The avatar a valid token stands for, now.
    pub fn verify(&self, token: &str) -> Result<AvatarId, JwtError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)?;
        let Claims { id, sub } = data.claims;
        id.or(sub).and_then(|s| s.parse().ok()).ok_or(JwtError::NoAvatar)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;
    use telegcrm_testkit::fake_oasis::sign_hs256;

    use super::*;

    const KEY: &str = "oasis-secret-key-for-tests";

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    fn verifier() -> JwtVerifier {
        JwtVerifier::new(Secret::new(KEY), None, None).unwrap()
    }

    #[test]
    fn a_valid_token_names_its_avatar_in_id_or_sub() {
        let avatar = AvatarId::new();
        let t = sign_hs256(KEY, &json!({"id": avatar.to_string(), "exp": now() + 900}));
        assert_eq!(verifier().verify(&t), Ok(avatar));
        let t = sign_hs256(KEY, &json!({"sub": avatar.to_string(), "exp": now() + 900, "aud": "anyone"}));
        assert_eq!(verifier().verify(&t), Ok(avatar));
    }

    #[test]
    fn expired_unsigned_and_foreign_tokens_are_refused() {
        let avatar = AvatarId::new().to_string();
        let v = verifier();
        assert_eq!(v.verify(&sign_hs256(KEY, &json!({"id": avatar, "exp": now() - 60}))), Err(JwtError::Expired));
        // Within the leeway an expired token still passes (clock skew between OASIS and us).
        assert!(v.verify(&sign_hs256(KEY, &json!({"id": avatar, "exp": now() - 5}))).is_ok());
        assert_eq!(v.verify(&sign_hs256(KEY, &json!({"id": avatar}))), Err(JwtError::Expired));
        assert_eq!(v.verify(&sign_hs256(KEY, &json!({"id": avatar, "exp": now() + 600, "nbf": now() + 300}))), Err(JwtError::NotYetValid));
        assert_eq!(v.verify(&sign_hs256("other-key", &json!({"id": avatar, "exp": now() + 60}))), Err(JwtError::Signature));
        assert_eq!(v.verify(&sign_hs256(KEY, &json!({"id": "admin", "exp": now() + 60}))), Err(JwtError::NoAvatar));
        let none_alg = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(json!({"id": avatar, "exp": now() + 60}).to_string())
        );
        assert!(matches!(v.verify(&none_alg), Err(JwtError::Algorithm | JwtError::Malformed)), "{:?}", v.verify(&none_alg));
        let hs512 = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(json!({"id": avatar, "exp": now() + 60}).to_string())
        );
        assert_eq!(v.verify(&hs512), Err(JwtError::Algorithm));
        for garbage in ["", "a.b", "a.b.c.d", "!!!.???.***"] {
            assert!(v.verify(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn tampering_with_the_claims_breaks_the_signature() {
        let t = sign_hs256(KEY, &json!({"id": AvatarId::new().to_string(), "exp": now() + 60}));
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(json!({"id": AvatarId::new().to_string(), "exp": now() + 60}).to_string());
        parts[1] = &forged;
        assert_eq!(verifier().verify(&parts.join(".")), Err(JwtError::Signature));
    }

    #[test]
    fn issuer_and_audience_are_checked_when_configured() {
        let v = JwtVerifier::new(Secret::new(KEY), Some("OASIS".into()), Some("OASIS".into())).unwrap();
        let avatar = AvatarId::new();
        let good = sign_hs256(KEY, &json!({"id": avatar.to_string(), "exp": now() + 60, "iss": "OASIS", "aud": ["OASIS"]}));
        assert_eq!(v.verify(&good), Ok(avatar));
        let bad = sign_hs256(KEY, &json!({"id": avatar.to_string(), "exp": now() + 60, "iss": "Other", "aud": "OASIS"}));
        assert_eq!(v.verify(&bad), Err(JwtError::Audience));
        let no_aud = sign_hs256(KEY, &json!({"id": avatar.to_string(), "exp": now() + 60, "iss": "OASIS"}));
        assert_eq!(v.verify(&no_aud), Err(JwtError::Audience));
    }

    #[test]
    fn the_key_never_prints_and_an_empty_key_verifies_nothing() {
        assert!(!format!("{:?}", verifier()).contains(KEY));
        assert!(JwtVerifier::new(Secret::new(""), None, None).is_none());
    }
}
