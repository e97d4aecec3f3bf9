//! A hostile or broken server: redirects, answers without end, a stall past the delivery
//! deadline, and a password in the endpoint URL that must never be shown. Ported from
//! `crates/pushcast-client/tests/hostile_server.rs`; here the events go to a real sockudo with a
//! real subscriber wherever they can be delivered, and every one is accounted for.
//!
//! Redirects and endless answers come from [`HostileServer`], written here byte for byte
//! because no real Pusher server does these things on demand; the stall is the fault proxy's
//! (a socket that accepts and never answers); the password scenario needs no fault at all
//! besides refused connections, from the fault proxy.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use pushcast_client::Client;
use pushcast_core::Error;
use pushcast_testkit::{FaultProxy, ProxyMode, Sockudo, Subscriber, APP_KEY};

use crate::ledger::{Ledger, Outcome};
use crate::setup::{collect, config, ms};

/// One request as the hostile server read it.
pub struct Request {
    /// The head, request line and headers, without the blank line.
    head: String,
    body: Vec<u8>,
}

impl Request {
    /// `POST`, `GET`...
    fn method(&self) -> &str {
        self.head.split_whitespace().next().unwrap_or("")
    }

    /// The request target: path and query.
    fn target(&self) -> &str {
        self.head.split_whitespace().nth(1).unwrap_or("/")
    }

    /// The request line.
    fn line(&self) -> &str {
        self.head.lines().next().unwrap_or("")
    }
}

/// The value of header `name` (lowercase) in an HTTP head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

/// Reads one request: the head up to the blank line, then the body its content-length says.
fn read_request(conn: &mut TcpStream) -> Option<Request> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let length: usize = header(&head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = raw[end + 4..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Request { head, body })
}

type Answer = dyn Fn(&mut TcpStream, &Request) + Send + Sync;

/// A hand-written HTTP/1.1 server on a free loopback port, answering each request with a
/// closure that writes the bytes itself. It exists only for faults a real server can't
/// produce on demand (a redirect answered to a publish, an answer without end): everything
/// that can be delivered is delivered by the real sockudo behind it. Keeps each request line.
pub struct HostileServer {
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl HostileServer {
    fn start(answer: impl Fn(&mut TcpStream, &Request) + Send + Sync + 'static) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let answer: Arc<Answer> = Arc::new(answer);
        let (seen, stopped) = (Arc::clone(&lines), Arc::clone(&stop));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let (seen, answer) = (Arc::clone(&seen), Arc::clone(&answer));
                std::thread::spawn(move || {
                    let Some(request) = read_request(&mut conn) else {
                        return;
                    };
                    seen.lock().push(request.line().to_owned());
                    answer(&mut conn, &request);
                    let _ = conn.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        HostileServer { port, lines, stop }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request line read so far.
    fn lines(&self) -> Vec<String> {
        self.lines.lock().clone()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Sends `request` to the real server on `upstream` (as `connection: close`) and returns its
/// answer's head and (de-chunked) body.
fn exchange(upstream: u16, request: &Request) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    for (i, line) in request.head.lines().enumerate() {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if i > 0 && (name == "connection" || name == "keep-alive") {
            continue;
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("connection: close\r\n\r\n");
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    server.write_all(head.as_bytes()).ok()?;
    server.write_all(&request.body).ok()?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).ok()?;
    let end = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let mut body = answer[end + 4..].to_vec();
    if header(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        body = dechunk(&body);
    }
    Some((head, body))
}

/// The data of a whole chunked body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&raw[..eol]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        if size == 0 || raw.len() < eol + 2 + size {
            break;
        }
        body.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[(eol + 2 + size + 2).min(raw.len())..];
    }
    body
}

const REDIRECT_EVENTS: usize = 20;

/// A redirect answered to every publish. The redirect's target would take the events: a 302's
/// target (`/ok`, same server) answers the GET a followed 302 becomes with 200; a 307's target
/// is the real sockudo (through the fault proxy, which counts connections) at the very path and
/// signed query of the publish, so a followed 307 would re-post the events there and deliver
/// them. Every event must fail with the redirect's status and a message naming its Location,
/// and the target must never be contacted.
///
/// Old behaviour: a 302 was followed with a GET whose 200 counted every event as delivered
/// (none arrived: lost), a 307 re-posted them to another host.
fn redirect(name: &str, status: u16) -> Outcome {
    let mut ledger = Ledger::new(name);
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "redirect");
    let elsewhere = FaultProxy::start(server.port, ProxyMode::Forward);
    let elsewhere_url = elsewhere.url();
    let fake = HostileServer::start(move |conn, request| {
        if request.method() != "POST" {
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
            );
            return;
        }
        let location = if status == 302 {
            "/ok".to_owned()
        } else {
            format!("{elsewhere_url}{}", request.target())
        };
        let answer = format!(
            "HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        let _ = conn.write_all(answer.as_bytes());
    });
    let mut cfg = config(app, fake.url());
    cfg.delivery_timeout = Duration::from_secs(10);
    let client = Client::new(cfg).unwrap();
    for i in 0..REDIRECT_EVENTS {
        ledger.publish(&client, "redirect", format!("e{i}"));
    }
    let report = client.flush(Duration::from_secs(20));
    let stats = client.stats();
    collect(&mut ledger, &[&sub], 0, Duration::ZERO);
    let failures = client.drain_failures();
    let location = if status == 302 {
        "/ok".to_owned()
    } else {
        format!("{}/apps/", elsewhere.url())
    };
    let wrong: Vec<String> = failures
        .iter()
        .filter(|f| {
            !matches!(&f.error, Error::Api { status: s, message } if *s == status && message.contains(&location))
        })
        .map(|f| f.error.to_string())
        .take(3)
        .collect();
    let first = failures.first().map(|f| f.error.to_string());
    ledger.failures(failures);
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    ledger.check(
        wrong.is_empty(),
        format!("failures not naming the {status} and its Location {location:?}: {wrong:?}"),
    );
    ledger.check(
        (stats.delivered, stats.failed) == (0, REDIRECT_EVENTS as u64),
        format!(
            "delivered/failed = {:?}, expected (0, {REDIRECT_EVENTS})",
            (stats.delivered, stats.failed)
        ),
    );
    let lines = fake.lines();
    let posts = lines.iter().filter(|l| l.starts_with("POST ")).count();
    ledger.check(
        posts == lines.len() && posts > 0,
        format!("requests other than the publishes reached the server: {lines:?}"),
    );
    let contacted = elsewhere.accepted().len();
    ledger.check(
        contacted == 0,
        format!("the redirect's target was contacted {contacted} time(s)"),
    );
    ledger.check_stats(&stats);
    ledger.figure("requests", lines.len());
    ledger.figure("target_contacted", contacted);
    ledger.figure("error", format!("{:?}", first.as_deref().unwrap_or("none")));
    ledger.finish()
}

pub fn redirect_302() -> Outcome {
    redirect("hostile-redirect-302", 302)
}

pub fn redirect_307() -> Outcome {
    redirect("hostile-redirect-307", 307)
}

/// The highest resident memory seen while it runs, sampled every 5 ms (a body read whole and
/// freed at once leaves no trace in the memory measured afterwards).
struct PeakRss {
    stop: Arc<AtomicBool>,
    sampler: std::thread::JoinHandle<u64>,
}

impl PeakRss {
    fn start() -> PeakRss {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let sampler = std::thread::spawn(move || {
            let mut peak = pushcast_testkit::measure::rss_bytes();
            while !stopped.load(SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
                peak = peak.max(pushcast_testkit::measure::rss_bytes());
            }
            peak
        });
        PeakRss { stop, sampler }
    }

    /// The peak, in bytes.
    fn stop(self) -> u64 {
        self.stop.store(true, SeqCst);
        self.sampler
            .join()
            .unwrap()
            .max(pushcast_testkit::measure::rss_bytes())
    }
}

/// The most the answer may be (1 GiB), and the most resident memory may grow while reading it.
const ENDLESS: u64 = 1 << 30;
const RSS_GROWTH_MAX: u64 = 96 << 20;
const ENDLESS_EVENTS: usize = 20;

/// Each request goes to the real sockudo; its 200 comes back with sockudo's body followed by
/// whitespace without end: a content-length of 1 GiB, or chunks without a last one (both cut
/// at 1 GiB, or when the client closes). A publish must read what it needs of the 200 (the
/// events were taken: delivered once, never retried into duplicates), a query must refuse an
/// answer beyond its limit, and resident memory must stay bounded (its peak, sampled).
///
/// Old behaviour: a 1 GiB answer took RSS to 2.1 GB, an endless chunked one to 2.4 GB in 10 s.
fn endless(name: &str, chunked: bool) -> Outcome {
    let mut ledger = Ledger::new(name);
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "endless");
    let upstream = server.port;
    let fake = HostileServer::start(move |conn, request| {
        let Some((head, body)) = exchange(upstream, request) else {
            return;
        };
        if !head.starts_with("HTTP/1.1 200") {
            let answer = format!(
                "{}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                head.lines().next().unwrap_or("HTTP/1.1 502 Bad Gateway"),
                body.len()
            );
            let _ = conn.write_all(answer.as_bytes());
            let _ = conn.write_all(&body);
            return;
        }
        let framing = if chunked {
            "transfer-encoding: chunked".to_owned()
        } else {
            format!("content-length: {ENDLESS}")
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{framing}\r\nconnection: close\r\n\r\n"
        );
        let block = vec![b' '; 64 * 1024];
        let frame = |data: &[u8]| -> Vec<u8> {
            if chunked {
                [format!("{:x}\r\n", data.len()).as_bytes(), data, b"\r\n"].concat()
            } else {
                data.to_vec()
            }
        };
        if conn.write_all(head.as_bytes()).is_err() || conn.write_all(&frame(&body)).is_err() {
            return;
        }
        let mut written = body.len() as u64;
        while written + block.len() as u64 <= ENDLESS {
            if conn.write_all(&frame(&block)).is_err() {
                return;
            }
            written += block.len() as u64;
        }
        if !chunked {
            let _ = conn.write_all(&block[..(ENDLESS - written) as usize]);
        }
    });
    let mut cfg = config(app, fake.url());
    cfg.request_timeout = Duration::from_secs(20);
    let client = Client::new(cfg).unwrap();
    let before = pushcast_testkit::measure::rss_bytes();
    let peak = PeakRss::start();
    for i in 0..ENDLESS_EVENTS {
        ledger.publish(&client, "endless", format!("e{i}"));
    }
    let report = client.flush(Duration::from_secs(30));
    let query = client.channels(None, None);
    let grown = peak.stop().saturating_sub(before);
    let stats = client.stats();
    collect(
        &mut ledger,
        &[&sub],
        stats.delivered,
        Duration::from_secs(10),
    );
    ledger.failures(client.drain_failures());
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    ledger.check(
        matches!(&query, Err(Error::MalformedResponse { reason }) if reason.contains("larger than")),
        format!("the channels query's endless answer was not refused: {query:?}"),
    );
    ledger.check(
        grown < RSS_GROWTH_MAX,
        format!("resident memory grew by {} MiB", grown >> 20),
    );
    ledger.check(
        stats.retried == 0,
        format!("{} event(s) retried after a 200", stats.retried),
    );
    ledger.check_stats(&stats);
    ledger.figure("rss_growth_mib", grown >> 20);
    ledger.figure("requests", fake.lines().len());
    ledger.finish()
}

pub fn endless_length() -> Outcome {
    endless("hostile-endless-length", false)
}

pub fn endless_chunked() -> Outcome {
    endless("hostile-endless-chunked", true)
}

/// A server that takes the requests and never answers (the fault proxy's stall in front of a
/// real sockudo), with request timeout 3 s and delivery timeout 4 s: every event fails at its
/// delivery deadline (4 s after it was published; before 5.5 s, a second full try would end at
/// 6 s), with a transport or timeout error. Then the stall ends and later events are delivered.
///
/// Old behaviour: a try started before the deadline ran its whole request timeout (request 5 s
/// and delivery 6 s failed at 10.1 s; here it would be 6 s or more).
pub fn stall_deadline() -> Outcome {
    const EVENTS: usize = 10;
    let deadline = Duration::from_secs(4);
    let latest = Duration::from_millis(5_500);
    let mut ledger = Ledger::new("hostile-stall-deadline");
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "stalled");
    let proxy = FaultProxy::start(server.port, ProxyMode::Stall);
    let mut cfg = config(app, proxy.url());
    cfg.request_timeout = Duration::from_secs(3);
    cfg.delivery_timeout = deadline;
    let client = Client::new(cfg).unwrap();
    let mut published_at = std::collections::BTreeMap::new();
    for i in 0..EVENTS {
        let name = format!("stalled{i}");
        published_at.insert(name.clone(), SystemTime::now());
        ledger.publish(&client, "stalled", name);
    }
    let report = client.flush(Duration::from_secs(20));
    let failures = client.drain_failures();
    let times: Vec<Duration> = failures
        .iter()
        .filter_map(|f| f.at.duration_since(*published_at.get(&f.event)?).ok())
        .collect();
    let (earliest, slowest) = (
        times.iter().min().copied().unwrap_or_default(),
        times.iter().max().copied().unwrap_or_default(),
    );
    let kinds_ok = failures
        .iter()
        .all(|f| matches!(f.error, Error::Transport { .. } | Error::Timeout { .. }));
    ledger.failures(failures);
    ledger.check(
        report.pending == 0,
        format!("{} still pending", report.pending),
    );
    ledger.check(
        times.len() == EVENTS,
        format!("{} of {EVENTS} events failed", times.len()),
    );
    ledger.check(
        earliest >= deadline - Duration::from_millis(100) && slowest < latest,
        format!(
            "failed between {earliest:?} and {slowest:?} after publishing, deadline {deadline:?}"
        ),
    );
    ledger.check(
        kinds_ok,
        "a failure was neither a transport error nor a timeout",
    );
    // The stall ends: what comes next is delivered.
    proxy.set_mode(ProxyMode::Forward);
    for i in 0..EVENTS {
        ledger.publish(&client, "stalled", format!("after{i}"));
    }
    let after = client.flush(Duration::from_secs(20));
    let stats = client.stats();
    collect(&mut ledger, &[&sub], EVENTS as u64, Duration::from_secs(10));
    ledger.failures(client.drain_failures());
    ledger.check(
        after.pending == 0 && stats.delivered == EVENTS as u64,
        format!(
            "after the stall: {} pending, {} delivered",
            after.pending, stats.delivered
        ),
    );
    ledger.check_stats(&stats);
    ledger.figure("deadline_ms", ms(deadline));
    ledger.figure("failed_after_ms_min", ms(earliest));
    ledger.figure("failed_after_ms_max", ms(slowest));
    ledger.finish()
}

/// A password in the endpoint URL (`http://deploy:hunter2@host`, a working basic-auth
/// configuration): events are delivered through it (the real sockudo behind the fault proxy),
/// then the proxy refuses connections so events fail with transport errors naming the
/// endpoint. The password must show nowhere: failures, `last_error`, circuit states, metrics,
/// the client's Debug; the endpoint shows as `http://***@host`.
///
/// Old behaviour: the password leaked into failures, `last_error`, the circuit metric's label
/// and the client's Debug (`php --ri`).
pub fn password_hidden() -> Outcome {
    const EVENTS: usize = 10;
    const PASSWORD: &str = "hunter2";
    let mut ledger = Ledger::new("hostile-password-hidden");
    let server = Sockudo::start();
    let app = server.app();
    let sub = Subscriber::connect(server.port, APP_KEY);
    sub.subscribe(&app, "secret");
    let gate = FaultProxy::start(server.port, ProxyMode::Forward);
    let mut cfg = config(
        app,
        format!("http://deploy:{PASSWORD}@127.0.0.1:{}", gate.port),
    );
    cfg.delivery_timeout = Duration::from_secs(3);
    let client = Client::new(cfg).unwrap();
    for i in 0..EVENTS {
        ledger.publish(&client, "secret", format!("ok{i}"));
    }
    let delivered = client.flush(Duration::from_secs(20));
    gate.set_mode(ProxyMode::Refuse);
    for i in 0..EVENTS {
        ledger.publish(&client, "secret", format!("refused{i}"));
    }
    let failed = client.flush(Duration::from_secs(20));
    let stats = client.stats();
    collect(&mut ledger, &[&sub], EVENTS as u64, Duration::from_secs(10));
    let failures = client.drain_failures();
    let transport = failures
        .iter()
        .filter(|f| matches!(f.error, Error::Transport { .. }))
        .count();
    let errors: Vec<String> = failures.iter().map(|f| f.error.to_string()).collect();
    let shown = [
        ("failures", format!("{failures:?} {errors:?}")),
        ("last_error", format!("{:?}", stats.last_error)),
        ("circuits", format!("{:?}", stats.circuits)),
        ("metrics", client.metrics()),
        ("Debug", format!("{client:?}")),
    ];
    ledger.failures(failures);
    let redacted = format!("***@127.0.0.1:{}", gate.port);
    for (what, text) in &shown {
        ledger.check(
            !text.contains(PASSWORD),
            format!("the password shows in {what}: {text}"),
        );
    }
    for (what, text) in [&shown[0], &shown[4]] {
        ledger.check(
            text.contains(&redacted),
            format!("{what} does not show the endpoint as {redacted}: {text}"),
        );
    }
    ledger.check(
        delivered.pending == 0 && failed.pending == 0,
        "events still pending",
    );
    ledger.check(
        stats.delivered == EVENTS as u64 && transport == EVENTS,
        format!(
            "delivered {} (expected {EVENTS}), {transport} transport failures (expected {EVENTS})",
            stats.delivered
        ),
    );
    ledger.check_stats(&stats);
    ledger.figure(
        "error",
        format!("{:?}", errors.first().map(String::as_str).unwrap_or("none")),
    );
    ledger.finish()
}
