//! An event published to an idle engine goes out on the publishing thread: it signs the
//! event's request and writes it on the endpoint's spare connection (direct.rs) before
//! `publish` returns; the I/O thread then reads the answer and does everything else (stats,
//! retries, splitting) as for any request.
//!
//! Why: otherwise the event waits for the I/O thread to wake and get a core before anything
//! is sent. On an idle engine that wait is the whole of the engine's hops (stage `queue`); on
//! a busy PHP-FPM host, where the worker that published goes on running its request, it was
//! 43 µs p50 and 383 µs p99 at 1,000 requests/s (issue 15, benchmarks/stages-predial.md), on
//! the path of every event, and the blocking call pushcast replaces never pays it. Written
//! here, the request reaches the server as soon as the publisher's `write` returns; the
//! wake-up still happens, off the event's path.
//!
//! Only when the engine holds no other event (so nothing can be ahead of this one in its
//! lane), the event has one channel, the client has one endpoint whose circuit is closed, and
//! that endpoint has a usable spare (plain HTTP to a server that closes connections; no
//! spool). Otherwise, and when the write fails before a byte left, the event is queued as
//! usual. The cost moves to the publisher: serializing, signing, one non-blocking `write`,
//! on an idle engine only. Measured (`scripts/bench-stages 908999f`, benchmarks/stages-ahead.md,
//! sockudo on the same 2-core host): the Rust caller's p50 at 500 events/s went from 4.3 to
//! 33 µs (PHP: 13.5 to 48 µs), because on loopback that `write` also runs the server's TCP
//! receive and wakes the server, on the publisher's time; publish → subscriber under PHP-FPM
//! went from 0.76 / 2.82 ms to 0.42 / 2.49 ms (p50 / p99, `ab -c 4`) and from 0.48 / 1.03 ms
//! to 0.39 / 0.89 ms (1,000 requests/s); paced at 500/s, 0.35 / 0.58 and 0.34 / 0.59 ms
//! (Rust). A blocking call costs its caller the whole round trip (about 350 µs here).

use pushcast_core::{batch_body_from_items, unix_now, Error, SignedRequest};
use rand::rngs::OsRng;
use rand::Rng;

use crate::item::{Ahead, Item};
use crate::shared::Shared;
use crate::transport::Transport;

/// Writes `item`'s request now, if the engine is idle and the conditions above hold; the
/// item then carries it ([`Item::ahead`]). `alone`: the item is the only event the engine
/// holds (its reservation is the only one).
pub(crate) fn write(shared: &Shared, http: &Transport, item: &mut Item, alone: bool) {
    if !alone || item.event.channels.len() != 1 || shared.config.endpoints.len() != 1 {
        return;
    }
    let Some(direct) = http.direct.as_ref() else {
        return;
    };
    let Some(target) = direct.target(&shared.config.endpoints[0]) else {
        return;
    };
    if !shared.breakers.is_closed(0) {
        return;
    }
    let Ok(json) = item.event.batch_item_json(item.channel()) else {
        // The dispatcher meets the same error and fails the event with it.
        return;
    };
    let solo = goes_alone(shared, item);
    let Ok(request) = sign(shared, solo, std::slice::from_ref(&json)) else {
        return;
    };
    let key = shared
        .app
        .profile()
        .supports_idempotency_key
        .then(new_idempotency_key);
    if let Some(written) = direct.write_ahead(target, &request, key.as_deref()) {
        item.ahead = Some(Box::new(Ahead {
            json,
            solo,
            key,
            written,
        }));
    }
}

/// Whether `item` must go alone through `POST /events`: its `socket_id` cannot ride in a batch
/// item on this server (see `ServerProfile::socket_id_in_batches`).
pub(crate) fn goes_alone(shared: &Shared, item: &Item) -> bool {
    item.event.socket_id.is_some() && !shared.app.profile().socket_id_in_batches
}

/// The signed request for these entries, with a fresh timestamp: one event alone through
/// `POST /events` (`solo`), else a `batch_events` request.
pub(crate) fn sign(shared: &Shared, solo: bool, json: &[Vec<u8>]) -> Result<SignedRequest, Error> {
    if solo {
        let body = json.first().cloned().unwrap_or_default();
        shared.app.sign_trigger_body(body, unix_now())
    } else {
        let body = batch_body_from_items(json.iter().map(Vec::as_slice));
        shared.app.sign_batch_body(body, unix_now())
    }
}

/// A new idempotency key (128 random bits, hex). From the OS on the publisher's thread: rand's
/// thread-local generator would register a fork handler (see `lane::lane_rng`).
pub(crate) fn new_idempotency_key() -> String {
    format_key(OsRng.gen::<u128>())
}

/// 128 bits as the key's 32 hex digits.
pub(crate) fn format_key(bits: u128) -> String {
    let key = format!("{bits:032x}");
    debug_assert_eq!(key.len(), crate::transport::IDEMPOTENCY_KEY_HEX_LEN);
    key
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use pushcast_core::{App, Credentials, Event, ServerProfile};

    use crate::{Client, ClientConfig};

    /// A server that answers each request with the next status of `statuses` (200 once they
    /// run out) and closes the connection, as Reverb does; sends each request's body and when
    /// it was read.
    fn closing_server(statuses: &'static [u16]) -> (String, mpsc::Receiver<(Vec<u8>, Instant)>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (tx, rx) = mpsc::channel();
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let (tx, next) = (tx.clone(), std::sync::Arc::clone(&next));
                std::thread::spawn(move || {
                    let mut raw = Vec::new();
                    let mut buf = [0u8; 4096];
                    let body = loop {
                        match conn.read(&mut buf) {
                            Ok(0) | Err(_) => return, // a spare closed unused
                            Ok(n) => raw.extend_from_slice(&buf[..n]),
                        }
                        let text = String::from_utf8_lossy(&raw).to_string();
                        let Some(head_end) = text.find("\r\n\r\n") else {
                            continue;
                        };
                        let length: usize = text[..head_end]
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        if raw.len() >= head_end + 4 + length {
                            break raw[head_end + 4..head_end + 4 + length].to_vec();
                        }
                    };
                    let at = Instant::now();
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let status = statuses.get(n).copied().unwrap_or(200);
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
                    );
                    let _ = conn.write_all(answer.as_bytes());
                    let _ = tx.send((body, at));
                });
            }
        });
        (url, rx)
    }

    fn client(url: &str) -> Client {
        let credentials = Credentials::new("12345", "app-key", "app-secret").unwrap();
        let app = App::new(credentials).with_profile(ServerProfile::reverb());
        Client::new(ClientConfig::new(app, url.to_owned())).unwrap()
    }

    /// Publishes one event and waits for it to be resolved, so the engine is idle again and
    /// (after a 200) holds a spare connection.
    fn settle(client: &Client, seen: &mpsc::Receiver<(Vec<u8>, Instant)>, data: &str) {
        client.publish(Event::new(["c"], "e", data)).unwrap();
        seen.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
        let direct = client.engine().unwrap().http.direct.clone().unwrap();
        let target = direct.target(&client.config().endpoints[0]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !target.has_spare() {
            assert!(Instant::now() < deadline, "no spare was dialled");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Blocks the engine's I/O thread for `time`: whatever reaches the server meanwhile was
    /// written by the publishing thread.
    fn stall_io_thread(client: &Client, time: Duration) {
        let (started, wait) = mpsc::channel();
        client.engine().unwrap().runtime.spawn(async move {
            let _ = started.send(());
            std::thread::sleep(time);
        });
        wait.recv_timeout(Duration::from_secs(10)).unwrap();
    }

    #[test]
    fn an_event_published_to_an_idle_engine_reaches_the_server_before_the_io_thread_runs() {
        let (url, seen) = closing_server(&[]);
        let client = client(&url);
        settle(&client, &seen, "\"first\"");
        stall_io_thread(&client, Duration::from_secs(3));
        let published = Instant::now();
        client
            .publish(Event::new(["c"], "e", "\"second\""))
            .unwrap();
        let (body, at) = seen.recv_timeout(Duration::from_secs(2)).unwrap();
        assert!(String::from_utf8_lossy(&body).contains("second"));
        assert!(at.duration_since(published) < Duration::from_secs(2));
        // The I/O thread, back, reads the answer: delivered once, in one request each.
        assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
        let stats = client.stats();
        assert_eq!(
            (stats.delivered, stats.requests_sent, stats.resent),
            (2, 2, 0)
        );
    }

    #[test]
    fn an_event_is_not_written_ahead_while_another_is_pending() {
        let (url, seen) = closing_server(&[]);
        let client = client(&url);
        settle(&client, &seen, "\"first\"");
        stall_io_thread(&client, Duration::from_secs(3));
        // The first is written ahead; the second finds it pending and waits for the lane.
        client.publish(Event::new(["c"], "e", "\"a\"")).unwrap();
        client.publish(Event::new(["c"], "e", "\"b\"")).unwrap();
        let (first, _) = seen.recv_timeout(Duration::from_secs(1)).unwrap();
        assert!(String::from_utf8_lossy(&first).contains("\\\"a\\\""));
        assert!(seen.recv_timeout(Duration::from_secs(1)).is_err());
        let (second, _) = seen.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(String::from_utf8_lossy(&second).contains("\\\"b\\\""));
        assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
        assert_eq!(client.stats().delivered, 3);
    }

    #[test]
    fn a_first_try_written_ahead_that_the_server_fails_is_sent_again_and_counted() {
        // The settling event gets the first answer (200); the event written ahead a 500.
        let (url, seen) = closing_server(&[200, 500]);
        let client = client(&url);
        settle(&client, &seen, "\"first\"");
        client.publish(Event::new(["c"], "e", "\"again\"")).unwrap();
        let (tried, _) = seen.recv_timeout(Duration::from_secs(10)).unwrap();
        let (retried, _) = seen.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(tried, retried);
        assert_eq!(client.flush(Duration::from_secs(10)).pending, 0);
        let stats = client.stats();
        assert_eq!(
            (
                stats.delivered,
                stats.requests_sent,
                stats.resent,
                stats.failed
            ),
            (2, 3, 1, 0)
        );
    }
}
