//! HTTP/1.1 for one request per connection, as the direct path (direct.rs) speaks it: a
//! request's bytes, framed as reqwest frames them, and its answer, read off the connection.
//!
//! Why by hand instead of hyper's connection API: an event published to an idle engine has its
//! request written by the publishing thread itself (ahead.rs), which has no runtime, and its
//! answer read later by the I/O thread. hyper drives both halves of an exchange in one future
//! on one runtime. Both ends here are small: the framing is the header lines the core already
//! counts for Reverb's request-size limit, and the servers this path talks to (Reverb, sockudo,
//! soketi) close the connection after every answer, so an answer ends at its
//! `content-length`, its last chunk, or the close.

use std::fmt::Write as _;

use http::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::wire::{keep_up_to, ReadLimit};

/// What a head may hold: header lines (a Pusher answer has about ten) and bytes in all.
const MAX_HEADERS: usize = 100;
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// hyper's words for a connection that ended in the middle of an answer, so errors read alike
/// on both paths.
const CLOSED_EARLY: &str = "connection closed before message completed";

/// A request's bytes: `METHOD path HTTP/1.1`, the header lines in order (lower-case names, as
/// reqwest writes them), a blank line, the body.
pub(crate) fn frame(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = String::with_capacity(64 + path.len() + 48 * headers.len());
    let _ = write!(head, "{method} {path} HTTP/1.1\r\n");
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// An answer: its status, its headers, its body up to the limit for its status (true when
/// there was more).
pub(crate) type Answer = (u16, HeaderMap, (Vec<u8>, bool));

/// Reads one answer from `stream`. Interim (1xx) answers are skipped. Errors are reasons, in
/// hyper's words where hyper has some.
pub(crate) async fn read_answer<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: ReadLimit,
) -> Result<Answer, String> {
    let mut reader = Reader {
        stream,
        buf: Vec::with_capacity(1024),
    };
    loop {
        let (status, headers, head_len) = reader.head().await?;
        reader.buf.drain(..head_len);
        if (100..200).contains(&status) {
            continue;
        }
        let limit = limit.for_status(status);
        let body = match body_kind(status, &headers)? {
            BodyKind::Empty => (Vec::new(), false),
            BodyKind::Length(len) => reader.fixed(len, limit).await?,
            BodyKind::Chunked => reader.chunked(limit).await?,
            BodyKind::UntilClose => reader.until_close(limit).await?,
        };
        return Ok((status, headers, body));
    }
}

enum BodyKind {
    Empty,
    Length(usize),
    Chunked,
    UntilClose,
}

fn body_kind(status: u16, headers: &HeaderMap) -> Result<BodyKind, String> {
    if status == 204 || status == 304 {
        return Ok(BodyKind::Empty);
    }
    let chunked = headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        return Ok(BodyKind::Chunked);
    }
    match headers.get(http::header::CONTENT_LENGTH) {
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .map(BodyKind::Length)
            .ok_or_else(|| "invalid content-length in the answer".to_owned()),
        None => Ok(BodyKind::UntilClose),
    }
}

struct Reader<'a, S> {
    stream: &'a mut S,
    /// Read and not yet consumed.
    buf: Vec<u8>,
}

impl<S: AsyncRead + Unpin> Reader<'_, S> {
    /// Reads more into the buffer; false at the end of the connection.
    async fn fill(&mut self) -> Result<bool, String> {
        let read = self
            .stream
            .read_buf(&mut self.buf)
            .await
            .map_err(|e| format!("error reading from the connection: {e}"))?;
        Ok(read > 0)
    }

    /// The next head: status, headers, and its length in the buffer.
    async fn head(&mut self) -> Result<(u16, HeaderMap, usize), String> {
        loop {
            let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut slots);
            match response.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = response.code.unwrap_or(0);
                    let mut headers = HeaderMap::new();
                    for header in response.headers.iter() {
                        if let (Ok(name), Ok(value)) = (
                            HeaderName::from_bytes(header.name.as_bytes()),
                            HeaderValue::from_bytes(header.value),
                        ) {
                            headers.append(name, value);
                        }
                    }
                    return Ok((status, headers, len));
                }
                Ok(httparse::Status::Partial) if self.buf.len() > MAX_HEAD_BYTES => {
                    return Err("the answer's head is too large".to_owned());
                }
                Ok(httparse::Status::Partial) => {}
                Err(e) => return Err(format!("invalid HTTP answer: {e}")),
            }
            if !self.fill().await? {
                return Err(CLOSED_EARLY.to_owned());
            }
        }
    }

    /// A body of `len` bytes, kept up to `limit`.
    async fn fixed(&mut self, len: usize, limit: usize) -> Result<(Vec<u8>, bool), String> {
        let mut body = Vec::new();
        let mut left = len;
        loop {
            let take = left.min(self.buf.len());
            if keep_up_to(&mut body, &self.buf[..take], limit) {
                return Ok((body, true));
            }
            self.buf.drain(..take);
            left -= take;
            if left == 0 {
                return Ok((body, false));
            }
            if !self.fill().await? {
                return Err(CLOSED_EARLY.to_owned());
            }
        }
    }

    /// A body that ends with the connection.
    async fn until_close(&mut self, limit: usize) -> Result<(Vec<u8>, bool), String> {
        let mut body = Vec::new();
        loop {
            if keep_up_to(&mut body, &self.buf, limit) {
                return Ok((body, true));
            }
            self.buf.clear();
            if !self.fill().await? {
                return Ok((body, false));
            }
        }
    }

    /// A chunked body (trailers, if any, are not read: the connection closes after it).
    async fn chunked(&mut self, limit: usize) -> Result<(Vec<u8>, bool), String> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(at) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break at;
                }
                if self.buf.len() > MAX_HEAD_BYTES {
                    return Err("invalid chunk size line in the answer".to_owned());
                }
                if !self.fill().await? {
                    return Err(CLOSED_EARLY.to_owned());
                }
            };
            let size = std::str::from_utf8(&self.buf[..line_end])
                .ok()
                .and_then(|line| line.split(';').next())
                .and_then(|hex| usize::from_str_radix(hex.trim(), 16).ok())
                .ok_or_else(|| "invalid chunk size line in the answer".to_owned())?;
            self.buf.drain(..line_end + 2);
            if size == 0 {
                return Ok((body, false));
            }
            // The chunk's data, then its CRLF.
            let mut left = size + 2;
            while left > 0 {
                if self.buf.is_empty() && !self.fill().await? {
                    return Err(CLOSED_EARLY.to_owned());
                }
                let take = left.min(self.buf.len());
                let data = take.min(left.saturating_sub(2));
                if keep_up_to(&mut body, &self.buf[..data], limit) {
                    return Ok((body, true));
                }
                self.buf.drain(..take);
                left -= take;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(wire: &[u8], limit: ReadLimit) -> Result<Answer, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut stream = wire;
        runtime.block_on(read_answer(&mut stream, limit))
    }

    #[test]
    fn a_request_is_framed_as_its_header_lines_then_the_body() {
        let bytes = frame(
            "POST",
            "/apps/1/events?a=b",
            &[("host", "h:1"), ("content-length", "2")],
            b"{}",
        );
        assert_eq!(
            bytes,
            b"POST /apps/1/events?a=b HTTP/1.1\r\nhost: h:1\r\ncontent-length: 2\r\n\r\n{}"
        );
    }

    #[test]
    fn an_answer_with_a_length_is_read_to_its_length() {
        let (status, headers, body) = answer(
            b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-A: 1\r\n\r\n{\"ok\":true}trailing",
            ReadLimit::PUBLISH,
        )
        .unwrap();
        assert_eq!(status, 200);
        assert_eq!(headers.get("x-a").unwrap(), "1");
        assert_eq!(body, (b"{\"ok\":true}".to_vec(), false));
    }

    #[test]
    fn a_chunked_answer_is_joined_and_one_without_a_length_ends_with_the_connection() {
        let (_, _, body) = answer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\n{\"ok\r\n7\r\n\":true}\r\n0\r\n\r\n",
            ReadLimit::PUBLISH,
        )
        .unwrap();
        assert_eq!(body, (b"{\"ok\":true}".to_vec(), false));
        let (status, _, body) =
            answer(b"HTTP/1.1 503 Busy\r\n\r\ncome back", ReadLimit::PUBLISH).unwrap();
        assert_eq!((status, body), (503, (b"come back".to_vec(), false)));
    }

    #[test]
    fn an_interim_answer_is_skipped() {
        let (status, _, body) = answer(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            ReadLimit::PUBLISH,
        )
        .unwrap();
        assert_eq!((status, body), (200, (b"{}".to_vec(), false)));
    }

    #[test]
    fn a_body_is_kept_up_to_its_limit_and_says_there_was_more() {
        let (_, _, (body, more)) = answer(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
            ReadLimit(4),
        )
        .unwrap();
        assert_eq!((body.as_slice(), more), (&b"0123"[..], true));
        let (_, _, (body, more)) = answer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n",
            ReadLimit(4),
        )
        .unwrap();
        assert_eq!((body.as_slice(), more), (&b"0123"[..], true));
    }

    #[test]
    fn an_answer_cut_short_or_malformed_is_an_error() {
        for (wire, says) in [
            (&b""[..], CLOSED_EARLY),
            (b"HTTP/1.1 200 OK\r\nContent-Le", CLOSED_EARLY),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
                CLOSED_EARLY,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                CLOSED_EARLY,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "invalid chunk size",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                "invalid content-length",
            ),
            (b"SMTP ready\r\n\r\n", "invalid HTTP answer"),
        ] {
            let error = answer(wire, ReadLimit::PUBLISH).unwrap_err();
            assert!(error.contains(says), "{wire:?}: {error}");
        }
    }
}
