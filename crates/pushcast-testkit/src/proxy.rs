//! A fault-injecting TCP proxy between a publisher and a real server.
//!
//! Only for faults a real server cannot produce on demand: a stalled socket that accepts and
//! never answers, a server that refuses one event of a batch (after dispatching the events
//! before it, as Reverb 1.10.2 does with a 500, or before dispatching anything), and a closed gate that refuses connections while a test re-arranges the real
//! parts behind it (for example: a killed server is restarted and its subscribers reconnect
//! before the publisher's retries may reach it). Everything else goes through untouched.
//!
//! A connection counts, and gets its mode, when its first request arrives, not when it is
//! accepted: pushcast dials a spare connection ahead of time for servers that close after every
//! answer, and may use it much later or never. Counting connections would count spares as
//! requests (and a spare dialled under one mode would be handled in it after the test changed
//! the mode).

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forward to the upstream port.
    Forward,
    /// Close the connection, unanswered, as its request arrives (the publisher sees a reset /
    /// closed connection).
    Refuse,
    /// Accept, read, never answer.
    Stall,
    /// Answer every request with this HTTP status and `Retry-After: 1` (a 503 or 429 storm).
    Status(u16),
    /// Forward the next `n` connections (counted from when this mode is set), then stall every
    /// later one: a server that answers a few requests and then hangs, so what was sent before
    /// the hang is delivered and nothing after it can reach the server.
    ForwardThenStall(usize),
    /// A `batch_events` or `events` request holding an event named `name` is answered `status`
    /// with the JSON error `refused event <name>`; when `dispatch_before`, the events before it
    /// in the batch are first published for real (re-signed with the test kit's sockudo
    /// credentials) and reach subscribers, as a server that fails midway through a batch
    /// would. Every other request is forwarded untouched.
    RefuseEvent {
        /// The event name that is refused.
        name: &'static str,
        /// The status of the answer.
        status: u16,
        /// Publish the events before it first.
        dispatch_before: bool,
    },
}

/// One connection that carried a request: when its first request arrived, and what the proxy
/// did with the connection.
#[derive(Debug, Clone, Copy)]
pub struct ProxyConnection {
    /// When its first request arrived.
    pub at: Instant,
    /// What the proxy did (`ForwardThenStall` resolved to `Forward` or `Stall`).
    pub mode: ProxyMode,
}

/// The mode and the connections accepted under it.
struct Control {
    mode: ProxyMode,
    since_mode_set: usize,
    log: Vec<ProxyConnection>,
}

impl Control {
    /// What to do with a connection whose first request arrived now; records it.
    fn admit(&mut self) -> ProxyMode {
        let mode = match self.mode {
            ProxyMode::ForwardThenStall(n) if self.since_mode_set < n => ProxyMode::Forward,
            ProxyMode::ForwardThenStall(_) => ProxyMode::Stall,
            other => other,
        };
        self.since_mode_set += 1;
        self.log.push(ProxyConnection {
            at: Instant::now(),
            mode,
        });
        mode
    }
}

/// Reads one whole HTTP/1.1 request: the head, then the body its content-length announces.
async fn read_request(client: &mut TcpStream) -> Option<(Vec<u8>, usize)> {
    use tokio::io::AsyncReadExt;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let body_start = loop {
        let n = client.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..body_start]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while raw.len() < body_start + length {
        let n = client.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    Some((raw, body_start))
}

/// Sends `raw` to the upstream server and returns its whole answer (it closes after each).
async fn exchange(upstream: u16, raw: &[u8]) -> Option<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).await.ok()?;
    server.write_all(raw).await.ok()?;
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).await.ok()?;
    Some(answer)
}

/// [`ProxyMode::RefuseEvent`] for one connection.
async fn refuse_event(
    mut client: TcpStream,
    upstream: u16,
    name: &str,
    status: u16,
    dispatch_before: bool,
) {
    use tokio::io::AsyncWriteExt;
    let Some((raw, body_start)) = read_request(&mut client).await else {
        return;
    };
    let body: serde_json::Value =
        serde_json::from_slice(&raw[body_start..]).unwrap_or(serde_json::Value::Null);
    // A batch's items, or a single event's body as a batch of one.
    let items: Vec<serde_json::Value> = match body.get("batch") {
        Some(serde_json::Value::Array(items)) => items.clone(),
        _ => vec![body.clone()],
    };
    let Some(refused) = items.iter().position(|i| i["name"] == name) else {
        if let Some(answer) = exchange(upstream, &raw).await {
            let _ = client.write_all(&answer).await;
        }
        let _ = client.shutdown().await;
        return;
    };
    if dispatch_before && refused > 0 {
        let before = serde_json::json!({ "batch": items[..refused] });
        let app = pushcast_core::App::new(
            pushcast_core::Credentials::new(
                crate::sockudo::APP_ID,
                crate::sockudo::APP_KEY,
                crate::sockudo::APP_SECRET,
            )
            .expect("test kit credentials"),
        )
        .with_profile(pushcast_core::ServerProfile::sockudo());
        let request = app
            .sign_batch_body(before.to_string().into_bytes(), pushcast_core::unix_now())
            .expect("signing the dispatched part");
        let body = request.body.clone().unwrap_or_default();
        let mut forward = format!(
            "POST {} HTTP/1.1\r\nhost: 127.0.0.1:{upstream}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n",
            request.path_and_query(),
            body.len()
        )
        .into_bytes();
        forward.extend_from_slice(&body);
        let answer = exchange(upstream, &forward).await.unwrap_or_default();
        assert!(
            answer.starts_with(b"HTTP/1.1 200"),
            "the dispatched part was refused: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    let message = format!("{{\"error\":\"refused event {name}\"}}");
    let answer = format!(
        "HTTP/1.1 {status} Refused\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{message}",
        message.len()
    );
    let _ = client.write_all(answer.as_bytes()).await;
    let _ = client.shutdown().await;
}

/// A running proxy on a free loopback port.
pub struct FaultProxy {
    pub port: u16,
    control: Arc<Mutex<Control>>,
    _runtime: tokio::runtime::Runtime,
}

impl FaultProxy {
    /// Starts a proxy to `127.0.0.1:{upstream}`.
    pub fn start(upstream: u16, mode: ProxyMode) -> FaultProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let control = Arc::new(Mutex::new(Control {
            mode,
            since_mode_set: 0,
            log: Vec::new(),
        }));
        let current = Arc::clone(&control);
        runtime.spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let current = Arc::clone(&current);
                tokio::spawn(async move {
                    // Nothing happens before the first request: a spare connection closed
                    // unused was never a request.
                    match client.peek(&mut [0u8; 1]).await {
                        Ok(n) if n > 0 => {}
                        _ => return,
                    }
                    let mode = current.lock().admit();
                    match mode {
                        ProxyMode::Refuse => drop(client),
                        ProxyMode::Stall | ProxyMode::ForwardThenStall(_) => {
                            let mut sink = tokio::io::sink();
                            let _ = tokio::io::copy(&mut client, &mut sink).await;
                            std::future::pending::<()>().await;
                        }
                        ProxyMode::Status(code) => {
                            use tokio::io::{AsyncReadExt, AsyncWriteExt};
                            // Read the request head (the body, if any, is left unread: the
                            // answer comes first and the connection closes).
                            let mut head = Vec::new();
                            let mut byte = [0u8; 1024];
                            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                                match client.read(&mut byte).await {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => head.extend_from_slice(&byte[..n]),
                                }
                            }
                            let answer = format!(
                                "HTTP/1.1 {code} Storm\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n\
                                 Content-Length: 5\r\nConnection: close\r\n\r\nstorm"
                            );
                            let _ = client.write_all(answer.as_bytes()).await;
                            let _ = client.shutdown().await;
                        }
                        ProxyMode::Forward => {
                            if let Ok(mut server) =
                                TcpStream::connect(("127.0.0.1", upstream)).await
                            {
                                let _ =
                                    tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            }
                        }
                        ProxyMode::RefuseEvent {
                            name,
                            status,
                            dispatch_before,
                        } => refuse_event(client, upstream, name, status, dispatch_before).await,
                    }
                });
            }
        });
        FaultProxy {
            port,
            control,
            _runtime: runtime,
        }
    }

    /// Changes what happens to new connections.
    pub fn set_mode(&self, mode: ProxyMode) {
        let mut control = self.control.lock();
        control.mode = mode;
        control.since_mode_set = 0;
    }

    /// Every connection that carried a request so far, oldest first.
    pub fn accepted(&self) -> Vec<ProxyConnection> {
        self.control.lock().log.clone()
    }

    /// Waits until at least `n` connections have carried a request (panics after `limit`).
    pub fn wait_for_connections(&self, n: usize, limit: Duration) {
        let started = Instant::now();
        while self.accepted().len() < n {
            assert!(
                started.elapsed() < limit,
                "{} connection(s) carried a request in {limit:?}, not {n}",
                self.accepted().len()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// How many connections that carried a request were handled in `mode`.
    pub fn connections_in(&self, mode: ProxyMode) -> usize {
        self.accepted().iter().filter(|c| c.mode == mode).count()
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
