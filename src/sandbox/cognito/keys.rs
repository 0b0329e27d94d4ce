//! The pool's RS256 signing key and its JWKS entry.

use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::{Value, json};

use super::*;

/// The pool's RS256 key.
pub struct PoolKey {
    pub(super) encoding: EncodingKey,
    pub(super) decoding: DecodingKey,
    pub(super) kid: String,
    pub(super) jwk: Value,
}

impl PoolKey {
    /// Load a PKCS#1 DER private key, or make one (2048 bits) when `der` is None.
    /// Returns the key and its DER (to keep).
    pub fn load_or_make(der: Option<&[u8]>) -> Result<(PoolKey, Vec<u8>), String> {
        use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
        use rsa::traits::PublicKeyParts;
        let key = match der.map(rsa::PrivateKey::from_pkcs1_der) {
            Some(Ok(k)) => k,
            // Cognito's keys are 2048-bit
            _ => rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).map_err(|e| e.to_string())?,
        };
        let der = key
            .to_pkcs1_der()
            .map_err(|e| e.to_string())?
            .as_bytes()
            .to_vec();
        let b64 = |bytes: &[u8]| {
            // minimal big-endian, as JWK wants it
            let start = bytes
                .iter()
                .position(|b| *b != 0)
                .unwrap_or(bytes.len().saturating_sub(1));
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[start..])
        };
        let n = b64(&key.n().to_be_bytes());
        let e = b64(&key.e().to_be_bytes());
        let kid = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sha2_digest(&der)[..16]);
        let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(|e| e.to_string())?;
        Ok((
            PoolKey {
                encoding: EncodingKey::from_rsa_der(&der),
                decoding,
                jwk: json!({ "alg": "RS256", "e": e, "kid": kid, "kty": "RSA", "n": n, "use": "sig" }),
                kid,
            },
            der,
        ))
    }

    pub fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }
}
