//! Access tokens (JWT, HS256), refresh tokens and integrator API tokens.

use chrono::{Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Prefix that tells an integrator API token from a JWT.
pub const API_TOKEN_PREFIX: &str = "atk_";
/// Prefix of a centre's sync credential (issued by the hub, presented by the centre node).
pub const SYNC_CREDENTIAL_PREFIX: &str = "ats_";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Account ID.
    pub sub: String,
    /// Session (refresh-token family): logout revokes it.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    /// Set when the account must change its password (after an administrator's reset): such a
    /// token reaches only the password change, `me` and logout.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pwc: bool,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub access_ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> JwtKeys {
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            access_ttl,
        }
    }

    pub fn issue(
        &self,
        account_id: i64,
        session: &str,
        must_change_password: bool,
    ) -> anyhow::Result<String> {
        let now = Utc::now();
        let claims = Claims {
            sub: account_id.to_string(),
            sid: session.to_owned(),
            iat: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
            iss: "attaka".into(),
            pwc: must_change_password,
        };
        Ok(encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?)
    }

    /// Decodes and checks signature, expiry and issuer.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&["attaka"]);
        validation.leeway = 5;
        decode::<Claims>(token, &self.decoding, &validation).map(|d| d.claims)
    }
}

/// 32 random bytes as hex, with a prefix.
pub fn random_token(prefix: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
    Ok(format!("{prefix}{}", hex::encode(bytes)))
}

/// Tokens are stored only as their SHA-256 (they are long random strings, so no salt or
/// slow hash is needed, and lookup by hash stays an index seek).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let a = JwtKeys::new(b"secret-a-secret-a-secret-a-12345", Duration::minutes(5));
        let b = JwtKeys::new(b"secret-b-secret-b-secret-b-12345", Duration::minutes(5));
        let t = a.issue(7, "s1", false).unwrap();
        assert_eq!(a.verify(&t).unwrap().sub, "7");
        assert!(b.verify(&t).is_err());
    }

    #[test]
    fn an_expired_token_is_refused() {
        let k = JwtKeys::new(b"secret-a-secret-a-secret-a-12345", Duration::minutes(-10));
        let t = k.issue(7, "s1", false).unwrap();
        assert!(k.verify(&t).is_err());
    }
}
