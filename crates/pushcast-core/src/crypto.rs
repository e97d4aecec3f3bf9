//! End-to-end encryption for `private-encrypted-` channels.
//!
//! Each channel has its own key, SHA-256(channel name bytes + master key bytes). Event data is
//! sealed with XSalsa20-Poly1305 (NaCl secretbox, combined mode) under a fresh random 24-byte
//! nonce and sent as the JSON string `{"nonce": base64, "ciphertext": base64}`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use crypto_secretbox::aead::{Aead, AeadCore, KeyInit, OsRng};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::credentials::MasterKey;
use crate::error::{Error, Result};

/// The key of one encrypted channel. Zeroized on drop.
pub struct ChannelKey(Zeroizing<[u8; 32]>);

impl ChannelKey {
    /// Derives the channel's key: SHA-256(channel name bytes + master key bytes).
    pub fn derive(master: &MasterKey, channel: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(channel.as_bytes());
        hasher.update(master.bytes());
        ChannelKey(Zeroizing::new(hasher.finalize().into()))
    }

    /// The key in base64: the `shared_secret` the subscriber receives in its auth response.
    pub fn to_base64(&self) -> String {
        BASE64.encode(*self.0)
    }

    fn cipher(&self) -> XSalsa20Poly1305 {
        XSalsa20Poly1305::new(Key::from_slice(&self.0[..]))
    }
}

#[derive(Serialize)]
struct EncryptedData<'a> {
    nonce: &'a str,
    ciphertext: &'a str,
}

/// The decoding side owns its strings: JSON written by PHP's `json_encode` escapes `/` as
/// `\/`, and an escaped string cannot be borrowed from the input.
#[derive(Deserialize)]
struct ReceivedData {
    nonce: String,
    ciphertext: String,
}

/// Encrypts `plaintext` (the event's `data` string) for one channel and returns the `data`
/// string to send in its place.
pub fn encrypt_data(key: &ChannelKey, plaintext: &[u8]) -> Result<String> {
    let nonce = XSalsa20Poly1305::generate_nonce(&mut OsRng);
    let ciphertext = key
        .cipher()
        .encrypt(&nonce, plaintext)
        .map_err(|_| Error::Decryption {
            reason: "secretbox refused to seal the payload",
        })?;
    let nonce = BASE64.encode(nonce);
    let ciphertext = BASE64.encode(ciphertext);
    serde_json::to_string(&EncryptedData {
        nonce: &nonce,
        ciphertext: &ciphertext,
    })
    .map_err(|e| Error::InvalidJson {
        what: "encrypted data",
        reason: e.to_string(),
    })
}

/// Decrypts an encrypted `data` string (`{"nonce","ciphertext"}`) sent on one channel.
pub fn decrypt_data(key: &ChannelKey, data: &str) -> Result<Vec<u8>> {
    let parsed: ReceivedData = serde_json::from_str(data).map_err(|_| Error::Decryption {
        reason: "data is not a {\"nonce\", \"ciphertext\"} JSON object",
    })?;
    let nonce = BASE64
        .decode(&parsed.nonce)
        .map_err(|_| Error::Decryption {
            reason: "nonce is not base64",
        })?;
    if nonce.len() != 24 {
        return Err(Error::Decryption {
            reason: "nonce is not 24 bytes",
        });
    }
    let ciphertext = BASE64
        .decode(&parsed.ciphertext)
        .map_err(|_| Error::Decryption {
            reason: "ciphertext is not base64",
        })?;
    key.cipher()
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map_err(|_| Error::Decryption {
            reason: "authentication failed: wrong key, wrong channel or tampered data",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn master() -> MasterKey {
        MasterKey::from_bytes(&[b'a'; 32]).unwrap()
    }

    #[test]
    fn shared_secret_golden_vector() {
        let key = ChannelKey::derive(&master(), "private-encrypted-channel-a");
        assert_eq!(
            key.to_base64(),
            "Rp+wpkNpL89qhqco1JkIG31AVXyU8PUVJBr1B2MvdoA="
        );
    }

    #[test]
    fn round_trip_and_fresh_nonces() {
        let key = ChannelKey::derive(&master(), "private-encrypted-a");
        let a = encrypt_data(&key, br#"{"x":1}"#).unwrap();
        let b = encrypt_data(&key, br#"{"x":1}"#).unwrap();
        assert_ne!(a, b, "each message gets its own nonce");
        assert_eq!(decrypt_data(&key, &a).unwrap(), br#"{"x":1}"#);
    }

    #[test]
    fn decrypts_json_with_escaped_slashes() {
        // PHP's json_encode (pusher-http-php's encrypt helper) writes `/` as `\/`.
        let key = ChannelKey::derive(&master(), "private-encrypted-a");
        let mut sealed = encrypt_data(&key, b"hello").unwrap();
        while !sealed.contains('/') {
            sealed = encrypt_data(&key, b"hello").unwrap();
        }
        let escaped = sealed.replace('/', "\\/");
        assert_eq!(decrypt_data(&key, &escaped).unwrap(), b"hello");
    }

    #[test]
    fn other_channel_or_tampering_fails_cleanly() {
        let key = ChannelKey::derive(&master(), "private-encrypted-a");
        let other = ChannelKey::derive(&master(), "private-encrypted-b");
        let sealed = encrypt_data(&key, b"hello").unwrap();
        assert!(decrypt_data(&other, &sealed).is_err());
        for bad in [
            "",
            "{}",
            "[]",
            r#"{"nonce":"!","ciphertext":"AA=="}"#,
            r#"{"nonce":"AAAA","ciphertext":"AA=="}"#,
        ] {
            assert!(
                matches!(decrypt_data(&key, bad), Err(Error::Decryption { .. })),
                "{bad}"
            );
        }
    }
}
