//! Signing HTTP API requests (auth_version 1.0), and the signed request the transport sends.

use std::collections::BTreeMap;

use hmac::Mac;
use md5::{Digest, Md5};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::credentials::Credentials;
use crate::error::{truncated, Error, Result, SizeScope};
use crate::profile::ServerProfile;

/// RFC 3986: everything but the unreserved characters `A-Z a-z 0-9 - . _ ~` is escaped.
const RFC3986_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Bytes reserved, when checking a whole-request limit, for the request line's fixed parts and
/// every header: `POST `, ` HTTP/1.1\r\n`, Host, Content-Type, Content-Length, User-Agent,
/// Accept, and the closing blank line. The transport must keep its headers within this.
pub const HEADER_ALLOWANCE_BYTES: usize = 512;

/// Query parameters the signature owns; callers may not pass them.
const RESERVED_PARAMS: [&str; 5] = [
    "auth_key",
    "auth_timestamp",
    "auth_version",
    "auth_signature",
    "body_md5",
];

/// HTTP method of an API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET: queries. Never carries `body_md5`.
    Get,
    /// POST: triggers, batches, terminations. Always carries `body_md5`.
    Post,
}

impl Method {
    /// The uppercase name, as signed and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A signed request, ready for any HTTP client: prepend the endpoint's base URL to
/// `path_and_query()`, send `body` with `Content-Type: application/json` and a
/// `Content-Length`, and treat only status 200 as success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// GET or POST.
    pub method: Method,
    /// `/apps/{app_id}/...`, exactly as signed.
    pub path: String,
    /// The query string, RFC 3986 encoded, `auth_signature` last, without the leading `?`.
    pub query: String,
    /// The body (POST), exactly as hashed into `body_md5`.
    pub body: Option<Vec<u8>>,
    /// The signature, lowercase hex.
    pub signature: String,
}

impl SignedRequest {
    /// `path?query`.
    pub fn path_and_query(&self) -> String {
        format!("{}?{}", self.path, self.query)
    }

    /// Size of the request on the wire, counting [`HEADER_ALLOWANCE_BYTES`] for the headers.
    pub fn wire_size_estimate(&self) -> usize {
        self.path.len()
            + 1
            + self.query.len()
            + self.body.as_ref().map_or(0, Vec::len)
            + HEADER_ALLOWANCE_BYTES
    }

    /// Checks the body and whole-request limits of `profile`.
    pub fn check_size(&self, profile: &ServerProfile) -> Result<()> {
        let body_len = self.body.as_ref().map_or(0, Vec::len);
        if let Some(limit) = profile.max_body_bytes {
            if body_len > limit {
                return Err(Error::PayloadTooLarge {
                    scope: SizeScope::RequestBody,
                    size: body_len,
                    limit,
                });
            }
        }
        if let Some(limit) = profile.max_request_bytes {
            let size = self.wire_size_estimate();
            if size > limit {
                return Err(Error::PayloadTooLarge {
                    scope: SizeScope::WholeRequest,
                    size,
                    limit,
                });
            }
        }
        Ok(())
    }
}

/// Merges two sequences sorted by key (byte order) into one sorted sequence.
fn merge_by_key<'a>(
    a: impl Iterator<Item = (&'a str, &'a str, bool)>,
    b: impl Iterator<Item = (&'a str, &'a str, bool)>,
) -> impl Iterator<Item = (&'a str, &'a str, bool)> {
    let mut a = a.peekable();
    let mut b = b.peekable();
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if y.0 < x.0 => b.next(),
        (Some(_), _) => a.next(),
        (None, _) => b.next(),
    })
}

/// Lowercase hex MD5 of `body`.
pub fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// Signs a request.
///
/// `params` are the caller's extra query parameters (`info`, `filter_by_prefix`, ...); a list
/// value is passed already joined with `,`. `timestamp` is unix seconds (injectable for tests).
/// The string to sign is `METHOD\npath\nk=v&...` over every parameter sorted by key in byte
/// order, values unencoded; the URL then encodes them (RFC 3986) and appends the signature.
pub fn sign_request(
    credentials: &Credentials,
    method: Method,
    path: &str,
    params: &BTreeMap<String, String>,
    body: Option<Vec<u8>>,
    timestamp: u64,
) -> Result<SignedRequest> {
    if let Some(reserved) = params
        .keys()
        .find(|k| RESERVED_PARAMS.contains(&k.as_str()))
    {
        return Err(Error::ReservedParameter {
            name: truncated(reserved),
        });
    }
    // body_md5 on every POST, even for an empty or `{}` body; never on GET.
    let body = match method {
        Method::Post => Some(body.unwrap_or_else(|| b"{}".to_vec())),
        Method::Get => None,
    };
    let timestamp = timestamp.to_string();
    let md5 = body.as_deref().map(body_md5);

    // The signature's own parameters, in key order. Their values need no URL encoding: the key
    // is checked to be unreserved characters, the rest are digits, "1.0" and hex.
    let fixed = [
        ("auth_key", Some(credentials.key())),
        ("auth_timestamp", Some(timestamp.as_str())),
        ("auth_version", Some("1.0")),
        ("body_md5", md5.as_deref()),
    ];
    let fixed = fixed.iter().filter_map(|(k, v)| v.map(|v| (*k, v, false)));
    let caller = params.iter().map(|(k, v)| (k.as_str(), v.as_str(), true));
    let mut pairs = merge_by_key(fixed, caller);

    // The string to sign goes straight into the MAC; the query is built beside it.
    let mut mac = credentials.mac();
    mac.update(method.as_str().as_bytes());
    mac.update(b"\n");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    let mut query = String::with_capacity(200);
    let mut first = true;
    for (k, v, needs_encoding) in pairs.by_ref() {
        if !first {
            mac.update(b"&");
            query.push('&');
        }
        first = false;
        mac.update(k.as_bytes());
        mac.update(b"=");
        mac.update(v.as_bytes());
        if needs_encoding {
            query.extend(utf8_percent_encode(k, RFC3986_ESCAPED));
            query.push('=');
            query.extend(utf8_percent_encode(v, RFC3986_ESCAPED));
        } else {
            query.push_str(k);
            query.push('=');
            query.push_str(v);
        }
    }
    let signature = hex::encode(mac.finalize().into_bytes());
    query.push_str("&auth_signature=");
    query.push_str(&signature);
    Ok(SignedRequest {
        method,
        path: path.to_owned(),
        query,
        body,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new("1", "thisisaauthkey", "thisisasecret").unwrap()
    }

    #[test]
    fn golden_vector_from_protocol_notes() {
        let body =
            br#"{"name":"my_event","data":"{\"message\":\"hello\"}","channel":"my-channel"}"#;
        assert_eq!(body_md5(body), "19cef9c2eb5d07ced6b87ed94643153b");
        let req = sign_request(
            &creds(),
            Method::Post,
            "/apps/1/events",
            &BTreeMap::new(),
            Some(body.to_vec()),
            1_700_000_000,
        )
        .unwrap();
        assert_eq!(
            req.signature,
            "f005924ff5a876bff819340b645a39292ba49aa6ddad1c2d554197fd36127741"
        );
        assert_eq!(
            req.query,
            "auth_key=thisisaauthkey&auth_timestamp=1700000000&auth_version=1.0\
             &body_md5=19cef9c2eb5d07ced6b87ed94643153b\
             &auth_signature=f005924ff5a876bff819340b645a39292ba49aa6ddad1c2d554197fd36127741"
        );
    }

    #[test]
    fn get_never_has_body_md5_and_post_always_has() {
        let get = sign_request(
            &creds(),
            Method::Get,
            "/apps/1/channels",
            &BTreeMap::new(),
            Some(b"ignored".to_vec()),
            1,
        )
        .unwrap();
        assert!(!get.query.contains("body_md5"));
        assert_eq!(get.body, None);
        let post = sign_request(
            &creds(),
            Method::Post,
            "/apps/1/users/1/terminate_connections",
            &BTreeMap::new(),
            None,
            1,
        )
        .unwrap();
        assert!(post
            .query
            .contains(&format!("body_md5={}", body_md5(b"{}"))));
        assert_eq!(post.body.as_deref(), Some(&b"{}"[..]));
    }

    #[test]
    fn values_are_signed_raw_and_sent_encoded() {
        let mut params = BTreeMap::new();
        params.insert(
            "info".to_owned(),
            "user_count,subscription_count".to_owned(),
        );
        params.insert("filter_by_prefix".to_owned(), "presence-".to_owned());
        let req =
            sign_request(&creds(), Method::Get, "/apps/1/channels", &params, None, 5).unwrap();
        assert!(req
            .query
            .starts_with("auth_key=thisisaauthkey&auth_timestamp=5&auth_version=1.0&filter_by_prefix=presence-&info=user_count%2Csubscription_count&auth_signature="));
        let expected = creds().sign_hex(&[
            b"GET\n/apps/1/channels\nauth_key=thisisaauthkey&auth_timestamp=5&auth_version=1.0&filter_by_prefix=presence-&info=user_count,subscription_count",
        ]);
        assert_eq!(req.signature, expected);
    }

    #[test]
    fn reserved_params_are_refused() {
        let mut params = BTreeMap::new();
        params.insert("auth_timestamp".to_owned(), "1".to_owned());
        assert!(matches!(
            sign_request(&creds(), Method::Get, "/apps/1/channels", &params, None, 1),
            Err(Error::ReservedParameter { .. })
        ));
    }

    #[test]
    fn whole_request_limit_counts_headers_and_query() {
        let mut profile = ServerProfile::reverb();
        profile.max_request_bytes = Some(10_000);
        let body = vec![b'x'; 10_000 - HEADER_ALLOWANCE_BYTES - 100];
        assert!(body.len() < 10_000);
        let req = sign_request(
            &creds(),
            Method::Post,
            "/apps/1/events",
            &BTreeMap::new(),
            Some(body),
            1,
        )
        .unwrap();
        // The body alone fits, but with path, query and header allowance it does not.
        assert!(matches!(
            req.check_size(&profile),
            Err(Error::PayloadTooLarge {
                scope: SizeScope::WholeRequest,
                ..
            })
        ));
    }
}
