//! A hostile or broken server: redirects, answers without end, a stall past the delivery
//! deadline. The server here is hand-written because no real Pusher server does these things on
//! demand; each answer is written byte for byte by the test.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pushcast_client::{Client, ClientConfig};
use pushcast_core::{App, Credentials, Error, Event, ServerProfile};

/// A server on a free port that answers every connection with `answer`; counts requests and
/// keeps each request's first line.
struct FakeServer {
    url: String,
    requests: Arc<AtomicUsize>,
    lines: Arc<std::sync::Mutex<Vec<String>>>,
}

fn read_head(conn: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

impl FakeServer {
    fn start(answer: impl Fn(&mut TcpStream) + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let requests = Arc::new(AtomicUsize::new(0));
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (count, seen) = (Arc::clone(&requests), Arc::clone(&lines));
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { break };
                let (count, seen, answer) =
                    (Arc::clone(&count), Arc::clone(&seen), Arc::clone(&answer));
                std::thread::spawn(move || {
                    let head = read_head(&mut conn);
                    count.fetch_add(1, Ordering::SeqCst);
                    seen.lock()
                        .unwrap()
                        .push(head.lines().next().unwrap_or_default().to_owned());
                    answer(&mut conn);
                });
            }
        });
        FakeServer {
            url,
            requests,
            lines,
        }
    }
}

fn client(url: &str, configure: impl FnOnce(&mut ClientConfig)) -> Client {
    let app = App::new(Credentials::new("12345", "app-key", "app-secret").unwrap())
        .with_profile(ServerProfile::sockudo());
    let mut config = ClientConfig::new(app, url);
    configure(&mut config);
    Client::new(config).unwrap()
}

/// Reported: a 302 to `/ok` was followed with a GET whose 200 counted 20 events as delivered;
/// a 307 re-posted them to another host. Any 3xx is a failure naming the Location.
#[test]
fn redirects_are_failures_and_never_followed() {
    let elsewhere = FakeServer::start(|conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
    });
    for (status, location) in [
        (302, "/ok".to_owned()),
        (307, format!("{}/apps/12345/batch_events", elsewhere.url)),
    ] {
        let answer = format!(
            "HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        let server = FakeServer::start(move |conn| {
            let _ = conn.write_all(answer.as_bytes());
        });
        let client = client(&server.url, |_| {});
        match client.publish_confirmed(Event::new(["c"], "e", "{}"), Duration::from_secs(5)) {
            Err(Error::Api { status: s, message }) => {
                assert_eq!(s, status);
                assert!(message.contains(&location), "{message}");
            }
            other => panic!("{status}: {other:?}"),
        }
        for i in 0..19 {
            client
                .publish(Event::new(["c"], "e", format!("{i}")))
                .unwrap();
        }
        client.flush(Duration::from_secs(5));
        let stats = client.stats();
        assert_eq!(
            (stats.delivered, stats.failed),
            (0, 20),
            "{status}: {stats:?}"
        );
        assert!(
            server
                .lines
                .lock()
                .unwrap()
                .iter()
                .all(|l| l.starts_with("POST ")),
            "{:?}",
            server.lines.lock().unwrap()
        );
    }
    assert_eq!(
        elsewhere.requests.load(Ordering::SeqCst),
        0,
        "a redirect was followed"
    );
}

/// Writes a 200 head, then `body` bytes' worth of zeros (or without end) until the client
/// closes the connection.
fn endless(chunked: bool) -> impl Fn(&mut TcpStream) + Send + Sync {
    move |conn: &mut TcpStream| {
        let head: &[u8] = if chunked {
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        } else {
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1073741824\r\n\r\n"
        };
        if conn.write_all(head).is_err() {
            return;
        }
        let block = vec![b' '; 64 * 1024];
        let chunk = [format!("{:x}\r\n", block.len()).as_bytes(), &block, b"\r\n"].concat();
        for _ in 0..(1 << 14) {
            let ok = if chunked {
                conn.write_all(&chunk)
            } else {
                conn.write_all(&block)
            };
            if ok.is_err() {
                return;
            }
        }
    }
}

/// Reported: a 1 GiB answer took RSS to 2.1 GB, an endless chunked one to 2.4 GB in 10 s. A
/// publish reads what it needs of a 200 (the events were taken); a query refuses an answer
/// beyond its limit. Memory stays bounded either way.
#[test]
fn answers_without_end_are_not_read_into_memory() {
    for chunked in [false, true] {
        let server = FakeServer::start(endless(chunked));
        let client = client(&server.url, |c| c.request_timeout = Duration::from_secs(20));
        let before = pushcast_testkit::measure::rss_bytes();
        client
            .publish_confirmed(Event::new(["c"], "e", "{}"), Duration::from_secs(20))
            .unwrap();
        match client.channels(None, None) {
            Err(Error::MalformedResponse { reason }) => {
                assert!(reason.contains("larger than"), "{reason}")
            }
            other => panic!("chunked={chunked}: {other:?}"),
        }
        let grown = pushcast_testkit::measure::rss_bytes().saturating_sub(before);
        assert!(
            grown < 96 << 20,
            "chunked={chunked}: RSS grew by {} MiB",
            grown >> 20
        );
        assert_eq!(client.stats().delivered, 1);
    }
}

/// Reported: request timeout 5 s and delivery timeout 6 s failed the event at 10.1 s (a second
/// try of 5 s started at 5 s). Each try and each pause is cut to the time left.
#[test]
fn a_stalled_server_fails_events_at_their_delivery_deadline() {
    let server = FakeServer::start(|conn| {
        // Read the request, never answer, keep the connection open.
        std::thread::sleep(Duration::from_secs(30));
        let _ = conn.flush();
    });
    let client = client(&server.url, |c| {
        c.request_timeout = Duration::from_secs(3);
        c.delivery_timeout = Duration::from_secs(4);
    });
    let started = Instant::now();
    let result = client.publish_confirmed(Event::new(["c"], "e", "{}"), Duration::from_secs(20));
    let took = started.elapsed();
    assert!(
        matches!(
            result,
            Err(Error::Transport { .. }) | Err(Error::Timeout { .. })
        ),
        "{result:?}"
    );
    // The deadline is 4 s; a second full try would end at 6 s.
    assert!(
        took >= Duration::from_millis(3_900) && took < Duration::from_millis(5_500),
        "failed after {took:?}"
    );
    assert_eq!(client.stats().failed, 1);
}

/// Reported: `http://user:pass@host` (a working basic-auth configuration) leaked its password
/// into failures, `last_error`, the circuit metric's label and `php --ri`.
#[test]
fn passwords_in_endpoints_never_show() {
    let client = client("http://deploy:hunter2@127.0.0.1:1", |c| {
        c.delivery_timeout = Duration::from_millis(300);
    });
    let _ = client.publish(Event::new(["c"], "e", "{}"));
    client.flush(Duration::from_secs(5));
    let stats = client.stats();
    assert_eq!(stats.failed, 1);
    let shown = [
        format!("{:?}", client.drain_failures()),
        format!("{:?}", stats.last_error),
        format!("{:?}", stats.circuits),
        client.metrics(),
        format!("{client:?}"),
    ];
    for text in &shown {
        assert!(!text.contains("hunter2"), "password shown: {text}");
    }
    assert!(shown[0].contains("***@127.0.0.1:1"), "{}", shown[0]);
    assert!(shown[4].contains("***@127.0.0.1:1"), "{}", shown[4]);
}
