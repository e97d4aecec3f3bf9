//! App credentials and the end-to-end encryption master key.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{truncated, Error, Result};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The app secret. Redacted in `Debug`, zeroized on drop.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(Zeroizing::new(secret.into()))
    }

    /// The secret's bytes, for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// App id, key and secret, as the server's app configuration has them.
///
/// Holds a keyed HMAC-SHA256 state prepared once, so each signature costs two compressions
/// less than keying from scratch (channel auth is on the hot path of `/broadcasting/auth`).
#[derive(Clone)]
pub struct Credentials {
    app_id: String,
    key: String,
    secret: Secret,
    keyed_mac: HmacSha256,
}

impl Credentials {
    /// Checks and stores credentials. None of the three may be empty; app id and key may not
    /// hold characters that would need escaping in a URL path or a header.
    pub fn new(
        app_id: impl Into<String>,
        key: impl Into<String>,
        secret: impl Into<String>,
    ) -> Result<Self> {
        let app_id = app_id.into();
        let key = key.into();
        let secret = Secret::new(secret);
        check_plain_token("app_id", &app_id)?;
        check_plain_token("key", &key)?;
        if secret.expose().is_empty() {
            return Err(Error::InvalidConfig {
                field: "secret",
                reason: "must not be empty".into(),
            });
        }
        let keyed_mac = HmacSha256::new_from_slice(secret.expose().as_bytes()).map_err(|_| {
            Error::InvalidConfig {
                field: "secret",
                reason: "cannot key HMAC-SHA256 with it".into(),
            }
        })?;
        Ok(Credentials {
            app_id,
            key,
            secret,
            keyed_mac,
        })
    }

    /// The app id (`/apps/{app_id}/...`).
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The public app key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Lowercase hex HMAC-SHA256 of `parts` concatenated, keyed with the secret.
    pub fn sign_hex(&self, parts: &[&[u8]]) -> String {
        hex::encode(self.sign_raw(parts))
    }

    /// Raw HMAC-SHA256 of `parts` concatenated, keyed with the secret.
    pub(crate) fn sign_raw(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// A fresh HMAC-SHA256 state keyed with the secret, to feed piece by piece.
    pub(crate) fn mac(&self) -> HmacSha256 {
        self.keyed_mac.clone()
    }

    /// Checks `signature` (raw bytes) against HMAC-SHA256 of `message` in constant time.
    pub(crate) fn verify_raw(&self, message: &[u8], signature: &[u8]) -> bool {
        let mut mac = self.keyed_mac.clone();
        mac.update(message);
        mac.verify_slice(signature).is_ok()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("app_id", &self.app_id)
            .field("key", &self.key)
            .field("secret", &self.secret)
            .finish()
    }
}

fn check_plain_token(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::InvalidConfig {
            field,
            reason: "must not be empty".into(),
        });
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')))
    {
        return Err(Error::InvalidConfig {
            field,
            reason: format!(
                "{:?} holds {bad:?}; only ASCII letters, digits and - _ . ~ are allowed",
                truncated(value)
            ),
        });
    }
    Ok(())
}

/// The 32-byte master key from which each encrypted channel's key is derived. Zeroized on drop.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    /// Decodes the base64 form Laravel and the SDKs configure (`encryption_master_key_base64`).
    pub fn from_base64(encoded: &str) -> Result<Self> {
        let mut bytes = BASE64
            .decode(encoded.trim())
            .map_err(|e| Error::InvalidConfig {
                field: "encryption_master_key_base64",
                reason: format!("not valid base64: {e}"),
            })?;
        let key = Self::from_bytes(&bytes);
        bytes.zeroize();
        key
    }

    /// Takes the raw 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| Error::InvalidConfig {
            field: "encryption_master_key_base64",
            reason: format!("must decode to exactly 32 bytes, got {}", bytes.len()),
        })?;
        Ok(MasterKey(Zeroizing::new(array)))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::new("1", "key", "very-secret-value").unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("<redacted>"));
        let m = MasterKey::from_bytes(&[7u8; 32]).unwrap();
        assert_eq!(format!("{m:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn rejects_empty_and_unsafe_credentials() {
        assert!(matches!(
            Credentials::new("", "k", "s"),
            Err(Error::InvalidConfig {
                field: "app_id",
                ..
            })
        ));
        assert!(matches!(
            Credentials::new("1/2", "k", "s"),
            Err(Error::InvalidConfig {
                field: "app_id",
                ..
            })
        ));
        assert!(matches!(
            Credentials::new("1", "k", ""),
            Err(Error::InvalidConfig {
                field: "secret",
                ..
            })
        ));
    }

    #[test]
    fn master_key_must_be_32_bytes() {
        assert!(MasterKey::from_base64("YWFh").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
        let ok = BASE64.encode([b'a'; 32]);
        assert_eq!(MasterKey::from_base64(&ok).unwrap().bytes(), &[b'a'; 32]);
    }
}
