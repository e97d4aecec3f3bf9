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

/// The header lines a transport sends with every request besides the two the body fixes
/// (`content-type`, `content-length`), so that a whole-request limit (Reverb's
/// `max_request_size`, which counts the request line, the headers and the body) can be checked
/// exactly instead of with [`HEADER_ALLOWANCE_BYTES`].
///
/// The transport that sends the requests must send exactly these lines; pushcast's own does,
/// and a test compares its bytes on the wire with [`SignedRequest::wire_size`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportHeaders {
    /// Total bytes of the `name: value\r\n` lines.
    lines_len: usize,
}

impl TransportHeaders {
    /// The header lines, as `(name, value)` pairs.
    pub fn new<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        TransportHeaders {
            lines_len: headers
                .into_iter()
                .map(|(name, value)| name.len() + 2 + value.len() + 2)
                .sum(),
        }
    }

    /// Bytes of a request with this head: request line, these headers, the body's two headers
    /// (POST), the blank line and the body.
    fn request_len(
        &self,
        method: Method,
        path_and_query_len: usize,
        body_len: Option<usize>,
    ) -> usize {
        let request_line = method.as_str().len() + 1 + path_and_query_len + " HTTP/1.1\r\n".len();
        let body_headers = body_len.map_or(0, |n| {
            "content-type: application/json\r\n".len()
                + "content-length: \r\n".len()
                + decimal_digits(n as u64)
        });
        request_line + self.lines_len + body_headers + 2 + body_len.unwrap_or(0)
    }

    /// The largest body a POST with this head and a `path_and_query_len`-byte target may carry
    /// within `limit` bytes, or `None` when even an empty body does not fit.
    pub(crate) fn max_body_within(&self, limit: usize, path_and_query_len: usize) -> Option<usize> {
        // The body's length appears in content-length too: the largest n with
        // fixed + digits(n) + n <= limit, looked for among each count of digits.
        let fixed = self.request_len(Method::Post, path_and_query_len, Some(0)) - 1;
        let room = limit.checked_sub(fixed)?;
        (1..=20u32)
            .filter_map(|digits| {
                let widest = 10usize.checked_pow(digits).map_or(usize::MAX, |p| p - 1);
                let narrowest = if digits == 1 {
                    0
                } else {
                    10usize.checked_pow(digits - 1)?
                };
                let n = room.checked_sub(digits as usize)?.min(widest);
                (n >= narrowest).then_some(n)
            })
            .max()
    }
}

/// Length of `text` as the query carries it (RFC 3986 encoded).
pub(crate) fn encoded_len(text: &str) -> usize {
    utf8_percent_encode(text, RFC3986_ESCAPED)
        .map(str::len)
        .sum()
}

/// Decimal digits of `n` (1 for 0).
pub(crate) fn decimal_digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
}

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

    /// Size of the request on the wire: exact when the transport's headers are known, else
    /// [`SignedRequest::wire_size_estimate`].
    pub fn wire_size(&self, transport: Option<&TransportHeaders>) -> usize {
        match transport {
            Some(head) => head.request_len(
                self.method,
                self.path.len() + 1 + self.query.len(),
                self.body.as_ref().map(Vec::len),
            ),
            None => self.wire_size_estimate(),
        }
    }

    /// Checks the body and whole-request limits of `profile`, with the header allowance.
    pub fn check_size(&self, profile: &ServerProfile) -> Result<()> {
        self.check_size_with(profile, None)
    }

    /// Checks the body and whole-request limits of `profile`; the whole request is measured
    /// exactly when `transport` gives the headers that will be sent.
    pub fn check_size_with(
        &self,
        profile: &ServerProfile,
        transport: Option<&TransportHeaders>,
    ) -> Result<()> {
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
            let size = self.wire_size(transport);
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
    use super::{decimal_digits, Method, TransportHeaders};

    #[test]
    fn the_body_budget_is_the_largest_body_that_fits() {
        let head = TransportHeaders::new([("host", "127.0.0.1:8080"), ("accept", "*/*")]);
        let target = 150;
        // Around every change in the width of content-length, and far from them.
        for limit in (300..420)
            .chain(1_080..1_130)
            .chain(10_080..10_130)
            .chain([10_000])
        {
            let size = |n: usize| head.request_len(Method::Post, target, Some(n));
            match head.max_body_within(limit, target) {
                Some(n) => {
                    assert!(size(n) <= limit, "{n} does not fit {limit}");
                    assert!(size(n + 1) > limit, "{} fits {limit} too", n + 1);
                }
                None => assert!(size(0) > limit),
            }
        }
        assert_eq!(head.max_body_within(10, target), None);
        assert_eq!(decimal_digits(0), 1);
        assert_eq!(decimal_digits(9_999_999_999), 10);
        assert_eq!(decimal_digits(u64::MAX), 20);
    }

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
