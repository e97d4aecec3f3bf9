//! An HMAC-SHA256 written against the RustCrypto crates directly, not through pushcast-core:
//! the independent check that every auth pushcast returns signs exactly the data it returns.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Lowercase hex HMAC-SHA256(key, parts concatenated).
pub fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    for part in parts {
        mac.update(part);
    }
    hex::encode(mac.finalize().into_bytes())
}
