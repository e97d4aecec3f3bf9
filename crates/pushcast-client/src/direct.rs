//! Plain-HTTP requests to servers that close the connection after every answer (Reverb,
//! sockudo, soketi): each request goes out on a connection dialled ahead of time, while the
//! engine was idle, instead of on one dialled for it.
//!
//! Why: such a server makes every request pay a TCP handshake and the server's accept (its
//! accept loop, then a task or handler for the connection) before the server reads a byte.
//! On loopback against sockudo that is about 110 µs of the event's path (an answer in 351 µs
//! p50 on a new connection, 241 µs on one opened beforehand); over a network it is a round
//! trip more. pusher-http-php pays it on every broadcast too. It was the largest part of what
//! made pushcast's PHP-FPM latency p99 worse than a blocking call's (issue 15).
//!
//! reqwest's pool can only reuse a connection after an answer, which these servers never allow,
//! and its connector layer cannot see where a connection goes (its request type is sealed), so
//! this path speaks HTTP/1.1 itself (http1.rs: one request per connection, framed as reqwest
//! frames it). That also lets an idle engine's publisher write an event's request on the spare
//! itself ([`Direct::write_ahead`], ahead.rs) and the I/O thread read the answer later
//! ([`WrittenAhead::finish`]). Everything else (TLS, servers that keep connections alive, proxies,
//! credentials in the URL) stays on reqwest.
//!
//! At most one spare per endpoint, dialled after each answer. While it waits it is a plain
//! socket, not registered with the I/O thread's epoll: an idle engine is not woken when the
//! server drops it. It is used only if it is younger than [`SPARE_MAX_AGE`] and a non-blocking
//! peek finds it open and silent; otherwise it is closed and the request dials its own
//! connection, as without spares. A spare that fails to dial is not an error: nothing was sent.

use std::collections::HashMap;
use std::io::{ErrorKind, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pushcast_core::{Error, Method, SignedRequest};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::config::{redacted, ClientConfig};
use crate::http1;
use crate::sync::Mutex;
use crate::wire::{answered, host_header, Attempt, ReadLimit, IDEMPOTENCY_HEADER, USER_AGENT};

/// How long a spare may wait before it is used: under the idle limit every server here puts on
/// a connection that has sent nothing yet (uWebSockets, under soketi: 10 s; hyper's header
/// read timeout: 30 s; nginx: 60 s; Reverb: none), so a server does not close one just as it
/// is being written to.
const SPARE_MAX_AGE: Duration = Duration::from_secs(5);

/// The direct path's endpoints, each with its spare.
pub(crate) struct Direct {
    targets: HashMap<String, Arc<Target>>,
    connect_timeout: Duration,
    max_age: Duration,
}

/// Where one endpoint's requests go.
pub(crate) struct Target {
    /// The endpoint as configured (errors name it, redacted).
    endpoint: String,
    host: Host,
    port: u16,
    /// The `host` header as reqwest writes it: the port only when it is not 80 (the wire size
    /// the core computes for Reverb's request limit depends on it).
    authority: String,
    /// The endpoint's path, without its trailing slash, before each request's path.
    base: String,
    spare: Mutex<SpareSlot>,
}

enum Host {
    Ip(IpAddr),
    /// Resolved at each dial, as reqwest does.
    Name(String),
}

/// A request the publishing thread wrote (in part, or whole) on a spare, for the I/O thread to
/// finish: the rest of its bytes, then the answer.
pub(crate) struct WrittenAhead {
    direct: Arc<Direct>,
    target: Arc<Target>,
    stream: std::net::TcpStream,
    bytes: Vec<u8>,
    /// How many of `bytes` the kernel took at once.
    written: usize,
}

#[derive(Default)]
struct SpareSlot {
    spare: Option<(std::net::TcpStream, Instant)>,
    /// A spare is being dialled: others do not dial one too.
    dialling: bool,
}

impl Direct {
    /// The direct path for `config`'s endpoints that can take it: plain `http://` without
    /// credentials, on a server profile that closes connections after every answer, with no
    /// proxy configured in the environment (reqwest would honour one). None when none can.
    pub(crate) fn for_config(config: &ClientConfig) -> Option<Arc<Direct>> {
        if config.app.profile().keeps_connections_alive || proxy_configured() {
            return None;
        }
        let targets: HashMap<String, Arc<Target>> = config
            .endpoints
            .iter()
            .filter_map(|endpoint| Some((endpoint.clone(), Arc::new(Target::parse(endpoint)?))))
            .collect();
        (!targets.is_empty()).then(|| {
            Arc::new(Direct {
                targets,
                connect_timeout: config.connect_timeout,
                max_age: SPARE_MAX_AGE,
            })
        })
    }

    /// Where `endpoint`'s requests go, when they take this path.
    pub(crate) fn target(&self, endpoint: &str) -> Option<&Arc<Target>> {
        self.targets.get(endpoint)
    }

    /// Sends `request` once, as `transport::send` does, on the endpoint's spare when it has a
    /// usable one; after an answer, dials the next spare in the background.
    pub(crate) async fn send(
        &self,
        target: &Arc<Target>,
        request: &SignedRequest,
        idempotency_key: Option<&str>,
        timeout: Duration,
        limit: ReadLimit,
    ) -> Attempt {
        let endpoint = target.endpoint.as_str();
        let started = Instant::now();
        let spare = target
            .take_spare(self.max_age)
            .and_then(|s| TcpStream::from_std(s).ok());
        let stream = match spare {
            Some(stream) => stream,
            None => {
                match tokio::time::timeout(self.connect_timeout.min(timeout), target.dial()).await {
                    Ok(Ok(stream)) => stream,
                    Ok(Err(reason)) => return connect_failed(endpoint, reason),
                    Err(_) => {
                        return connect_failed(endpoint, "tcp connect error (timed out)".to_owned())
                    }
                }
            }
        };
        let bytes = target.frame(request, idempotency_key);
        let remaining = timeout.saturating_sub(started.elapsed());
        self.exchange(target, stream, &bytes[..], remaining, limit)
            .await
    }

    /// On the publishing thread (no runtime): writes `request` on the endpoint's spare, if it
    /// has a usable one, without waiting (the socket is non-blocking; what the kernel does not
    /// take now, [`WrittenAhead::finish`] writes). None when there is no usable spare, or the
    /// write failed before a byte left: nothing reached the server, the request goes the usual
    /// way.
    pub(crate) fn write_ahead(
        self: &Arc<Self>,
        target: &Arc<Target>,
        request: &SignedRequest,
        idempotency_key: Option<&str>,
    ) -> Option<WrittenAhead> {
        let stream = target.take_spare(self.max_age)?;
        let bytes = target.frame(request, idempotency_key);
        let written = match (&stream).write(&bytes) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
            Err(_) => return None,
        };
        Some(WrittenAhead {
            direct: Arc::clone(self),
            target: Arc::clone(target),
            stream,
            bytes,
            written,
        })
    }

    /// Writes `unsent` (the request, or what is left of it) on `stream` and reads the answer,
    /// all within `timeout`; after an answer, dials the next spare.
    async fn exchange(
        &self,
        target: &Arc<Target>,
        mut stream: TcpStream,
        unsent: &[u8],
        timeout: Duration,
        limit: ReadLimit,
    ) -> Attempt {
        let endpoint = target.endpoint.as_str();
        let outcome = tokio::time::timeout(timeout, async {
            stream
                .write_all(unsent)
                .await
                .map_err(|e| format!("error writing to the connection: {e}"))?;
            http1::read_answer(&mut stream, limit).await
        })
        .await;
        if let Ok(Ok(_)) = outcome {
            // The server is there: the next request's connection can be dialled now. (After a
            // failure it is not: a server that is down would get two dials per attempt.)
            self.replenish(target);
        }
        match outcome {
            Ok(Ok((status, headers, body))) => answered(status, &headers, body, limit),
            Ok(Err(reason)) => unanswered(endpoint, &reason),
            Err(_) => unanswered(endpoint, "no answer (timed out)"),
        }
    }

    /// Dials the target's next spare on the I/O thread, unless it has one or one is on its
    /// way.
    fn replenish(&self, target: &Arc<Target>) {
        {
            let mut slot = target.spare.lock();
            if slot.spare.is_some() || slot.dialling {
                return;
            }
            slot.dialling = true;
        }
        let (target, connect_timeout) = (Arc::clone(target), self.connect_timeout);
        tokio::spawn(async move {
            let dialled = tokio::time::timeout(connect_timeout, target.dial()).await;
            // Parked outside the reactor: the server closing it wakes nobody.
            let spare = match dialled {
                Ok(Ok(stream)) => stream.into_std().ok(),
                _ => None,
            };
            let mut slot = target.spare.lock();
            slot.dialling = false;
            if let Some(stream) = spare {
                slot.spare = Some((stream, Instant::now()));
            }
        });
    }
}

impl Target {
    fn parse(endpoint: &str) -> Option<Target> {
        let url = reqwest::Url::parse(endpoint).ok()?;
        if url.scheme() != "http" || !url.username().is_empty() || url.password().is_some() {
            return None;
        }
        let host_str = url.host_str()?;
        let unbracketed = host_str.trim_start_matches('[').trim_end_matches(']');
        let host = match unbracketed.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Name(host_str.to_owned()),
        };
        let authority = host_header(&url);
        Some(Target {
            endpoint: endpoint.to_owned(),
            host,
            port: url.port_or_known_default()?,
            authority,
            base: url.path().trim_end_matches('/').to_owned(),
            spare: Mutex::new(SpareSlot::default()),
        })
    }

    /// Whether a spare is waiting (tests wait for the one dialled after an answer).
    #[cfg(test)]
    pub(crate) fn has_spare(&self) -> bool {
        self.spare.lock().spare.is_some()
    }

    /// The spare, if it is young enough and still open with nothing to read (a server that
    /// closed it, or said anything on it, makes it useless).
    fn take_spare(&self, max_age: Duration) -> Option<std::net::TcpStream> {
        let (stream, dialled) = self.spare.lock().spare.take()?;
        if dialled.elapsed() > max_age {
            return None;
        }
        match stream.peek(&mut [0u8; 1]) {
            Err(e) if e.kind() == ErrorKind::WouldBlock => Some(stream),
            _ => None,
        }
    }

    /// A new connection: each address in turn, as reqwest's connector does. The error says
    /// which step failed, in reqwest's words ("dns error", "tcp connect error").
    async fn dial(&self) -> Result<TcpStream, String> {
        let addrs: Vec<SocketAddr> = match &self.host {
            Host::Ip(ip) => vec![SocketAddr::new(*ip, self.port)],
            Host::Name(name) => tokio::net::lookup_host((name.as_str(), self.port))
                .await
                .map_err(|e| format!("dns error: {e}"))?
                .collect(),
        };
        let mut last = "dns error: the host has no address".to_owned();
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(stream) => {
                    stream
                        .set_nodelay(true)
                        .map_err(|e| format!("tcp connect error: {e}"))?;
                    return Ok(stream);
                }
                Err(e) => last = format!("tcp connect error: {e}"),
            }
        }
        Err(last)
    }

    /// The bytes reqwest would write for `request`: the same header lines, so the same wire
    /// size (the core counts them against Reverb's request limit).
    fn frame(&self, request: &SignedRequest, idempotency_key: Option<&str>) -> Vec<u8> {
        let path = format!("{}{}", self.base, request.path_and_query());
        let mut headers = vec![
            ("user-agent", USER_AGENT),
            ("accept", "*/*"),
            ("host", self.authority.as_str()),
        ];
        let (method, body, length) = match request.method {
            Method::Get => ("GET", &[][..], String::new()),
            Method::Post => {
                let body = request.body.as_deref().unwrap_or_default();
                ("POST", body, body.len().to_string())
            }
        };
        if matches!(request.method, Method::Post) {
            headers.push(("content-type", "application/json"));
            headers.push(("content-length", length.as_str()));
        }
        if let Some(key) = idempotency_key {
            headers.push((IDEMPOTENCY_HEADER, key));
        }
        http1::frame(method, &path, &headers, body)
    }
}

impl WrittenAhead {
    /// On the I/O thread: the rest of the request and its answer, as `Direct::send` would
    /// have had them.
    pub(crate) async fn finish(self, timeout: Duration, limit: ReadLimit) -> Attempt {
        let WrittenAhead {
            direct,
            target,
            stream,
            bytes,
            written,
        } = self;
        match TcpStream::from_std(stream) {
            Ok(stream) => {
                direct
                    .exchange(&target, stream, &bytes[written..], timeout, limit)
                    .await
            }
            // Part of it may have left: the server may act on it.
            Err(e) => unanswered(&target.endpoint, &e.to_string()),
        }
    }
}

/// A try that may have reached the server and got no answer (the server may have acted on it).
fn unanswered(endpoint: &str, reason: &str) -> Attempt {
    Attempt::Retry {
        error: Error::Transport {
            endpoint: redacted(endpoint),
            reason: format!("error sending request: {reason}"),
        },
        connect_failed: false,
        retry_after: None,
    }
}

fn connect_failed(endpoint: &str, reason: String) -> Attempt {
    Attempt::Retry {
        error: Error::Transport {
            endpoint: redacted(endpoint),
            reason: format!("error sending request: {reason}"),
        },
        connect_failed: true,
        retry_after: None,
    }
}

/// Whether the environment names an HTTP proxy, which reqwest would use for plain HTTP.
fn proxy_configured() -> bool {
    ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::sync::mpsc;

    /// What the test server saw, in order.
    #[derive(Debug, PartialEq)]
    enum Seen {
        Accepted(usize),
        /// A whole request arrived on that connection.
        Request(usize),
        /// The server closed that connection without reading it (`close_unread`).
        Dropped(usize),
        /// The server wrote on that connection before any request (`speak_first`).
        Spoke(usize),
    }

    /// A server that closes every connection after its answer (as Reverb and sockudo do), on a
    /// free port. The connections numbered in `close_unread` are closed at once, unread.
    fn closing_server(close_unread: &'static [usize]) -> (String, mpsc::Receiver<Seen>) {
        server(close_unread, &[])
    }

    /// `closing_server`, and the connections numbered in `speak_first` are sent a 408 at once
    /// and then left open, unread.
    fn server(
        close_unread: &'static [usize],
        speak_first: &'static [usize],
    ) -> (String, mpsc::Receiver<Seen>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                let Ok(mut conn) = conn else { return };
                let n = n + 1;
                if tx.send(Seen::Accepted(n)).is_err() {
                    return;
                }
                if close_unread.contains(&n) {
                    drop(conn);
                    let _ = tx.send(Seen::Dropped(n));
                    continue;
                }
                if speak_first.contains(&n) {
                    // As a server that answers an idle connection with a 408 and keeps it.
                    let _ = conn.write_all(b"HTTP/1.1 408 Request Timeout\r\n\r\n");
                    let _ = tx.send(Seen::Spoke(n));
                    std::thread::spawn(move || {
                        let _held_open = conn;
                        std::thread::sleep(Duration::from_secs(30));
                    });
                    continue;
                }
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let mut raw = Vec::new();
                    let mut buf = [0u8; 4096];
                    let (head_end, length) = loop {
                        let Ok(read) = conn.read(&mut buf) else {
                            return;
                        };
                        if read == 0 {
                            return; // a spare closed unused
                        }
                        raw.extend_from_slice(&buf[..read]);
                        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&raw[..at]).to_ascii_lowercase();
                            let length: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length: "))
                                .map_or(0, |v| v.trim().parse().unwrap());
                            break (at + 4, length);
                        }
                    };
                    while raw.len() < head_end + length {
                        let read = conn.read(&mut buf).unwrap();
                        assert!(read > 0, "closed mid-body");
                        raw.extend_from_slice(&buf[..read]);
                    }
                    let _ = tx.send(Seen::Request(n));
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                    );
                });
            }
        });
        (url, rx)
    }

    fn direct_for(url: &str, max_age: Duration) -> Arc<Direct> {
        let credentials =
            pushcast_core::Credentials::new("12345", "app-key", "app-secret").unwrap();
        let app = pushcast_core::App::new(credentials)
            .with_profile(pushcast_core::ServerProfile::reverb());
        let direct = Direct::for_config(&ClientConfig::new(app, url.to_owned())).unwrap();
        let mut direct = Arc::try_unwrap(direct).ok().unwrap();
        direct.max_age = max_age;
        Arc::new(direct)
    }

    fn publish(runtime: &tokio::runtime::Runtime, direct: &Arc<Direct>, url: &str) -> Attempt {
        let credentials =
            pushcast_core::Credentials::new("12345", "app-key", "app-secret").unwrap();
        let app = pushcast_core::App::new(credentials);
        let request = app
            .sign_batch_body(b"{\"batch\":[]}".to_vec(), pushcast_core::unix_now())
            .unwrap();
        runtime.block_on(direct.send(
            direct.target(url).unwrap(),
            &request,
            None,
            Duration::from_secs(5),
            ReadLimit::PUBLISH,
        ))
    }

    /// The next event from the server, running the I/O runtime meanwhile (it dials spares).
    fn next_seen(runtime: &tokio::runtime::Runtime, seen: &mpsc::Receiver<Seen>) -> Seen {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(event) = seen.try_recv() {
                return event;
            }
            assert!(Instant::now() < deadline, "the server saw nothing more");
            runtime.block_on(async { tokio::time::sleep(Duration::from_millis(5)).await });
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_request_goes_out_on_the_connection_dialled_after_the_previous_answer() {
        let (url, seen) = closing_server(&[]);
        let (runtime, direct) = (runtime(), direct_for(&url, SPARE_MAX_AGE));
        assert!(matches!(publish(&runtime, &direct, &url), Attempt::Ok(_)));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(1));
        assert_eq!(next_seen(&runtime, &seen), Seen::Request(1));
        // The spare, dialled after the answer, before any second request.
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(2));
        assert!(matches!(publish(&runtime, &direct, &url), Attempt::Ok(_)));
        assert_eq!(next_seen(&runtime, &seen), Seen::Request(2));
        // And the next spare after that answer.
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(3));
    }

    #[test]
    fn a_spare_the_server_closed_is_not_used() {
        let (url, seen) = closing_server(&[2]);
        let (runtime, direct) = (runtime(), direct_for(&url, SPARE_MAX_AGE));
        assert!(matches!(publish(&runtime, &direct, &url), Attempt::Ok(_)));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(1));
        assert_eq!(next_seen(&runtime, &seen), Seen::Request(1));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(2));
        assert_eq!(next_seen(&runtime, &seen), Seen::Dropped(2));
        // The closed spare is noticed before anything is written on it: a new connection, no
        // failed attempt.
        let outcome = publish(&runtime, &direct, &url);
        assert!(matches!(outcome, Attempt::Ok(_)));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(3));
        assert_eq!(next_seen(&runtime, &seen), Seen::Request(3));
    }

    #[test]
    fn a_spare_the_server_spoke_on_is_not_used() {
        let (url, seen) = server(&[], &[2]);
        let (runtime, direct) = (runtime(), direct_for(&url, SPARE_MAX_AGE));
        assert!(matches!(publish(&runtime, &direct, &url), Attempt::Ok(_)));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(1));
        assert_eq!(next_seen(&runtime, &seen), Seen::Request(1));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(2));
        assert_eq!(next_seen(&runtime, &seen), Seen::Spoke(2));
        // Its 408 is not taken for the answer to the next request, which gets its own
        // connection.
        assert!(matches!(publish(&runtime, &direct, &url), Attempt::Ok(_)));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(3));
        assert_eq!(next_seen(&runtime, &seen), Seen::Request(3));
    }

    #[test]
    fn a_spare_older_than_its_age_limit_is_not_used() {
        let (url, seen) = closing_server(&[]);
        let (runtime, direct) = (runtime(), direct_for(&url, Duration::ZERO));
        assert!(matches!(publish(&runtime, &direct, &url), Attempt::Ok(_)));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(1));
        assert_eq!(next_seen(&runtime, &seen), Seen::Request(1));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(2));
        assert!(matches!(publish(&runtime, &direct, &url), Attempt::Ok(_)));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(3));
        assert_eq!(next_seen(&runtime, &seen), Seen::Request(3));
    }

    #[test]
    fn no_spare_is_dialled_after_a_request_that_got_no_answer() {
        let (url, seen) = closing_server(&[1]);
        let (runtime, direct) = (runtime(), direct_for(&url, SPARE_MAX_AGE));
        assert!(matches!(
            publish(&runtime, &direct, &url),
            Attempt::Retry {
                connect_failed: false,
                ..
            }
        ));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(1));
        assert_eq!(next_seen(&runtime, &seen), Seen::Dropped(1));
        // A spare would be accepted within a few milliseconds of the failure.
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(200)).await });
        assert_eq!(seen.try_recv().ok(), None);
        // The next request dials its own connection.
        assert!(matches!(publish(&runtime, &direct, &url), Attempt::Ok(_)));
        assert_eq!(next_seen(&runtime, &seen), Seen::Accepted(2));
        assert_eq!(next_seen(&runtime, &seen), Seen::Request(2));
    }

    #[test]
    fn a_refused_connection_is_a_connect_failure() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        drop(listener);
        let (runtime, direct) = (runtime(), direct_for(&url, SPARE_MAX_AGE));
        match publish(&runtime, &direct, &url) {
            Attempt::Retry {
                error: Error::Transport { reason, .. },
                connect_failed: true,
                ..
            } => assert!(reason.contains("refused"), "{reason}"),
            _ => panic!("a refused connection is a connect failure"),
        }
    }

    #[test]
    fn only_plain_http_to_servers_that_close_connections_goes_direct() {
        let config = |profile: pushcast_core::ServerProfile, url: &str| {
            let credentials =
                pushcast_core::Credentials::new("12345", "app-key", "app-secret").unwrap();
            let app = pushcast_core::App::new(credentials).with_profile(profile);
            ClientConfig::new(app, url.to_owned())
        };
        use pushcast_core::ServerProfile;
        let direct = |c: &ClientConfig| Direct::for_config(c).is_some();
        assert!(direct(&config(
            ServerProfile::sockudo(),
            "http://127.0.0.1:6001"
        )));
        assert!(direct(&config(
            ServerProfile::reverb(),
            "http://localhost:8080/"
        )));
        assert!(direct(&config(
            ServerProfile::reverb(),
            "http://[::1]:8080"
        )));
        assert!(!direct(&config(
            ServerProfile::reverb(),
            "https://reverb.example"
        )));
        assert!(!direct(&config(
            ServerProfile::reverb(),
            "http://u:p@127.0.0.1:8080"
        )));
        assert!(!direct(&config(
            ServerProfile::pusher(),
            "http://127.0.0.1:8080"
        )));
    }
}
