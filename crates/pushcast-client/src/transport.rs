//! HTTP: one pooled reqwest client (rustls), the direct path beside it for servers that close
//! connections after every answer (direct.rs), and the classification of what came back.

use std::sync::Arc;
use std::time::Duration;

use pushcast_core::{Error, Method, Result, SignedRequest, TransportHeaders};

use crate::config::ClientConfig;
use crate::direct::Direct;
use crate::wire::{answered, host_header, keep_up_to, with_causes, IDEMPOTENCY_HEADER, USER_AGENT};
pub(crate) use crate::wire::{Attempt, ReadLimit};

pub(crate) use crate::config::redacted;

/// The header lines this transport sends besides `content-type` and `content-length` (reqwest
/// adds `accept` and `host`), sized for the endpoint with the longest `host` value, so the
/// core can check a whole-request limit (Reverb's) on the exact size. A test compares this
/// with the bytes on the wire.
pub(crate) fn transport_headers(config: &ClientConfig) -> TransportHeaders {
    let host = config
        .endpoints
        .iter()
        .filter_map(|e| reqwest::Url::parse(e).ok())
        .map(|url| host_header(&url))
        .max_by_key(String::len)
        .unwrap_or_default();
    let key = "0".repeat(IDEMPOTENCY_KEY_HEX_LEN);
    let mut headers = vec![
        ("user-agent", USER_AGENT),
        ("accept", "*/*"),
        ("host", host.as_str()),
    ];
    if config.app.profile().supports_idempotency_key {
        headers.push((IDEMPOTENCY_HEADER, key.as_str()));
    }
    TransportHeaders::new(headers)
}

/// Hex digits of an idempotency key (128 random bits).
pub(crate) const IDEMPOTENCY_KEY_HEX_LEN: usize = 32;

/// How the engine speaks HTTP: one pooled reqwest client, and the direct path for the
/// endpoints it serves. Cheap to clone (shared).
#[derive(Clone)]
pub(crate) struct Transport {
    pooled: reqwest::Client,
    pub(crate) direct: Option<Arc<Direct>>,
}

impl Transport {
    pub(crate) fn new(config: &ClientConfig) -> Result<Transport> {
        Ok(Transport {
            pooled: http_client(config)?,
            direct: Direct::for_config(config),
        })
    }

    /// Whether `endpoint`'s requests take the direct path (pre-dialled connections).
    #[cfg(test)]
    pub(crate) fn is_direct(&self, endpoint: &str) -> bool {
        self.direct
            .as_ref()
            .is_some_and(|d| d.target(endpoint).is_some())
    }
}

/// Builds the pooled HTTP client. Connections are reused where the server keeps them (hosted
/// Pusher, a TLS proxy); servers that close after each response (Reverb, sockudo) get a new
/// connection per request, which the pool handles (over TLS or a proxy; plain HTTP takes the
/// direct path).
fn http_client(config: &ClientConfig) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .pool_max_idle_per_host(config.max_in_flight)
        .pool_idle_timeout(Duration::from_secs(30))
        // A redirect is a failure, never followed: a 302 would turn the POST into a GET whose
        // 200 says nothing about the events, and a 307 would hand them to another host.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .tls_built_in_root_certs(true);
    if !config.app.profile().keeps_connections_alive {
        // The server closes every connection after its answer (Reverb, sockudo): a connection
        // lives for one request, so TCP keep-alive probes (after 15 s idle) can never fire,
        // and reqwest's default of setting them costs four system calls per request on the
        // I/O thread (SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT).
        builder = builder
            .tcp_keepalive(None)
            .tcp_keepalive_interval(None)
            .tcp_keepalive_retries(None);
    }
    if let Some(path) = &config.ca_file {
        let pem = std::fs::read(path).map_err(|e| Error::InvalidConfig {
            field: "ca_file",
            reason: format!("cannot read {}: {e}", path.display()),
        })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::InvalidConfig {
                field: "ca_file",
                reason: format!("{} holds no usable PEM certificate: {e}", path.display()),
            })?;
        if certs.is_empty() {
            return Err(Error::InvalidConfig {
                field: "ca_file",
                reason: format!("{} holds no PEM certificate", path.display()),
            });
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if config.danger_accept_invalid_certs {
        crate::log::log(
            config.log.as_ref(),
            crate::log::LogLevel::Warning,
            "pushcast: WARNING: TLS certificate verification is OFF (danger_accept_invalid_certs); \
             anyone on the network path can read and forge your events",
        );
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| Error::InvalidConfig {
        field: "tls",
        reason: format!("cannot build the HTTP client: {e}"),
    })
}

/// The body, read up to `limit` bytes; true when there was more (left unread).
async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> reqwest::Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if keep_up_to(&mut body, &chunk, limit) {
            return Ok((body, true));
        }
    }
    Ok((body, false))
}

/// Sends `request` to `endpoint` (a base URL) once, waiting at most `timeout` for the whole
/// exchange (the delivery deadline's remainder can be shorter than the request timeout), and
/// reading at most `limit` of the answer.
pub(crate) async fn send(
    transport: &Transport,
    endpoint: &str,
    request: &SignedRequest,
    idempotency_key: Option<&str>,
    timeout: Duration,
    limit: ReadLimit,
) -> Attempt {
    if let Some(direct) = &transport.direct {
        if let Some(target) = direct.target(endpoint) {
            return direct
                .send(target, request, idempotency_key, timeout, limit)
                .await;
        }
    }
    let client = &transport.pooled;
    let url = format!(
        "{}{}",
        endpoint.trim_end_matches('/'),
        request.path_and_query()
    );
    let mut builder = match request.method {
        Method::Get => client.get(&url),
        Method::Post => client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.body.clone().unwrap_or_default()),
    };
    if let Some(key) = idempotency_key {
        builder = builder.header(IDEMPOTENCY_HEADER, key);
    }
    match builder.timeout(timeout).send().await {
        Ok(mut response) => {
            let status = response.status().as_u16();
            match read_body(&mut response, limit.for_status(status)).await {
                Ok(body) => answered(status, response.headers(), body, limit),
                Err(e) => Attempt::Retry {
                    error: transport_error(endpoint, e),
                    connect_failed: false,
                    retry_after: None,
                },
            }
        }
        Err(e) if is_tls_failure(&e) || e.is_builder() => {
            Attempt::Fatal(transport_error(endpoint, e))
        }
        Err(e) => Attempt::Retry {
            connect_failed: e.is_connect(),
            error: transport_error(endpoint, e),
            retry_after: None,
        },
    }
}

/// The whole cause chain, so "connection refused" or "invalid peer certificate: Expired" shows.
fn transport_error(endpoint: &str, error: reqwest::Error) -> Error {
    // Without the URL: its query carries the signature and says nothing the endpoint doesn't.
    let error = error.without_url();
    let mut reason = with_causes(&error);
    if error.is_timeout() {
        reason.push_str(" (timed out)");
    }
    Error::Transport {
        endpoint: redacted(endpoint),
        reason,
    }
}

/// Whether TLS verification failed: such a failure must fail closed, not be retried.
fn is_tls_failure(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(cause) = source {
        if is_rustls_error(cause) {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Whether `error` is a rustls error, possibly inside nested `io::Error`s: hyper-util wraps
/// tokio-rustls's `io::Error(InvalidData, rustls::Error)` in another `io::Error`, and
/// `io::Error::source()` skips the wrapped error itself, so the chain alone never shows it.
fn is_rustls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    match error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        Some(inner) => is_rustls_error(inner),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// Accepts one connection on a free port, reads one whole request (head, then the body its
    /// content-length announces), answers 200 `{}`, and hands back the raw bytes.
    fn capture_one() -> (String, std::thread::JoinHandle<Vec<u8>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let thread = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let body_start = loop {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "connection closed mid-head");
                raw.extend_from_slice(&buf[..n]);
                if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                    break at + 4;
                }
            };
            let head = String::from_utf8_lossy(&raw[..body_start]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            while raw.len() < body_start + length {
                let n = conn.read(&mut buf).unwrap();
                assert!(n > 0, "connection closed mid-body");
                raw.extend_from_slice(&buf[..n]);
            }
            conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .unwrap();
            raw
        });
        (url, thread)
    }

    /// Reverb counts the whole request against its max_request_size: the size the core
    /// computes from [`transport_headers`] must be what reqwest really writes, byte for byte.
    #[test]
    fn the_computed_request_size_is_the_size_on_the_wire() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for (profile, body_len) in [
            (pushcast_core::ServerProfile::reverb(), 12),
            (pushcast_core::ServerProfile::reverb(), 9_321),
            (pushcast_core::ServerProfile::sockudo(), 100),
        ] {
            let (url, server) = capture_one();
            let credentials =
                pushcast_core::Credentials::new("12345", "app-key", "app-secret").unwrap();
            let app = pushcast_core::App::new(credentials).with_profile(profile.clone());
            let mut config = ClientConfig::new(app, url.clone());
            let headers = transport_headers(&config);
            config.app = config.app.clone().with_transport_headers(headers.clone());
            let body = format!("{{\"batch\":[{}]}}", "x".repeat(body_len - 12)).into_bytes();
            let request = config
                .app
                .sign_batch_body(body, pushcast_core::unix_now())
                .unwrap();
            let key = profile
                .supports_idempotency_key
                .then(|| "f".repeat(IDEMPOTENCY_KEY_HEX_LEN));
            let transport = Transport::new(&config).unwrap();
            // Both profiles close after every answer: plain HTTP goes the direct way.
            assert!(transport.is_direct(&url));
            let outcome = runtime.block_on(send(
                &transport,
                &url,
                &request,
                key.as_deref(),
                Duration::from_secs(5),
                ReadLimit::PUBLISH,
            ));
            assert!(matches!(outcome, Attempt::Ok(_)));
            let raw = server.join().unwrap();
            assert_eq!(
                raw.len(),
                request.wire_size(Some(&headers)),
                "{}: computed size differs from the bytes sent:\n{}",
                profile.name(),
                String::from_utf8_lossy(&raw[..raw.len().min(600)])
            );
        }
    }

    #[test]
    fn credentials_in_endpoints_are_never_shown() {
        assert_eq!(
            redacted("http://user:secret@127.0.0.1:8080"),
            "http://***@127.0.0.1:8080"
        );
        assert_eq!(
            redacted("https://:secret@h.example/base/"),
            "https://***@h.example/base"
        );
        assert_eq!(redacted("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(redacted("not a url user:pw@host"), "***@host");
    }

    #[test]
    fn a_rustls_error_is_found_inside_nested_io_errors() {
        use super::is_rustls_error;
        let certificate = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let inner = std::io::Error::new(std::io::ErrorKind::InvalidData, certificate);
        let outer = std::io::Error::other(inner);
        assert!(is_rustls_error(&outer));
        let plain =
            std::io::Error::other(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(!is_rustls_error(&plain));
    }
}
