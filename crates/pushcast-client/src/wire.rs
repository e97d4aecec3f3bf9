//! The HTTP shape both of the engine's paths share (the pooled reqwest client and the direct
//! path for servers that close after every answer): what a request carries besides its body,
//! how much of an answer is read, and what an answer means.

use std::time::Duration;

use pushcast_core::response::api_error;
use pushcast_core::Error;

/// The `user-agent` every request carries.
pub(crate) const USER_AGENT: &str = concat!("pushcast/", env!("CARGO_PKG_VERSION"));

/// What one attempt produced.
pub(crate) enum Attempt {
    /// Status 200 and the body.
    Ok(Vec<u8>),
    /// Worth another try (5xx, 429, connect error, timeout); `retry_after` from the server.
    Retry {
        error: Error,
        connect_failed: bool,
        retry_after: Option<Duration>,
    },
    /// Another try would fail the same way (4xx, TLS verification, bad URL).
    Fatal(Error),
}

/// The header sockudo reads a batch's idempotency key from: a replay with the same key is
/// answered with the first answer and not broadcast again. (Per-item body keys are not used: an
/// item whose first try failed stays claimed, and sockudo would skip it silently on retry.)
pub(crate) const IDEMPOTENCY_HEADER: &str = "X-Idempotency-Key";

/// How much of an answer is read: publishes are answered in a few hundred bytes (a kilobyte
/// or so per event with `info`), queries can list many channels. Beyond the limit the rest is
/// not read (a hostile or broken server cannot make the engine hold an endless body).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadLimit(pub usize);

impl ReadLimit {
    /// Publishes: what is beyond it is not needed (a 200 already says the events were taken).
    pub(crate) const PUBLISH: ReadLimit = ReadLimit(256 * 1024);
    /// Queries: the answer itself, whole, or an error.
    pub(crate) const QUERY: ReadLimit = ReadLimit(16 * 1024 * 1024);
    /// An error answer is read for its message only.
    const ERROR: usize = 16 * 1024;

    /// How much of an answer with `status` is read.
    pub(crate) fn for_status(self, status: u16) -> usize {
        if status == 200 {
            self.0
        } else {
            Self::ERROR
        }
    }
}

/// What an answer means: its status, headers and body (read up to the limit for its status;
/// true when there was more), whichever path it came by.
pub(crate) fn answered(
    status: u16,
    headers: &http::HeaderMap,
    (body, more): (Vec<u8>, bool),
    limit: ReadLimit,
) -> Attempt {
    let retry_after = headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    // A publish's 200 needs no more; a query's answer must be whole.
    if more && status == 200 && limit.0 != ReadLimit::PUBLISH.0 {
        return Attempt::Fatal(Error::MalformedResponse {
            reason: format!(
                "the answer is larger than {} bytes; not read further",
                limit.0
            ),
        });
    }
    if status == 200 {
        Attempt::Ok(body)
    } else if (300..400).contains(&status) {
        let Error::Api { status, message } = api_error(status, &body) else {
            return Attempt::Fatal(api_error(status, &body));
        };
        let location = headers
            .get(http::header::LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        Attempt::Fatal(Error::Api {
            status,
            message: format!(
                "{message} (a redirect to {}, not followed: the events were not taken; \
                 point the endpoint at the server itself)",
                location.as_deref().unwrap_or("nowhere")
            ),
        })
    } else if status == 429 || status >= 500 {
        Attempt::Retry {
            error: api_error(status, &body),
            connect_failed: false,
            retry_after,
        }
    } else {
        Attempt::Fatal(api_error(status, &body))
    }
}

/// The `host` header for `url` as reqwest writes it: the port only when it is not the scheme's
/// default. (Reverb's request limit counts it, so both paths must write the same.)
pub(crate) fn host_header(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// `error` and its causes, each once ("error sending request: connection closed before message
/// completed", "… Connection refused (os error 111)").
pub(crate) fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !reason.contains(&text) {
            reason.push_str(": ");
            reason.push_str(&text);
        }
        source = cause.source();
    }
    reason
}

/// Appends `chunk` to `body` up to `limit` bytes in all; true when it did not all fit (the
/// rest of the answer is then left unread).
pub(crate) fn keep_up_to(body: &mut Vec<u8>, chunk: &[u8], limit: usize) -> bool {
    let room = limit.saturating_sub(body.len());
    body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    chunk.len() > room
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_kept_up_to_its_limit_and_says_when_there_was_more() {
        let mut body = Vec::new();
        assert!(!keep_up_to(&mut body, b"abc", 5));
        assert!(!keep_up_to(&mut body, b"de", 5));
        assert_eq!(body, b"abcde");
        assert!(keep_up_to(&mut body, b"f", 5));
        assert_eq!(body, b"abcde");
        let mut body = b"ab".to_vec();
        assert!(keep_up_to(&mut body, b"cdef", 4));
        assert_eq!(body, b"abcd");
    }
}
