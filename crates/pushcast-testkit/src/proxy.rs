//! A fault-injecting TCP proxy between a publisher and a real server.
//!
//! Only for faults a real server cannot produce on demand: a stalled socket that accepts and
//! never answers, and a closed gate that refuses connections while a test re-arranges the real
//! parts behind it (for example: a killed server is restarted and its subscribers reconnect
//! before the publisher's retries may reach it). Everything else goes through untouched.

use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    /// Forward to the upstream port.
    Forward,
    /// Accept and close at once (the publisher sees a reset / closed connection).
    Refuse,
    /// Accept, read, never answer.
    Stall,
    /// Answer every request with this HTTP status and `Retry-After: 1` (a 503 or 429 storm).
    Status(u16),
    /// Forward the next `n` connections (counted from when this mode is set), then stall every
    /// later one: a server that answers a few requests and then hangs, so what was sent before
    /// the hang is delivered and nothing after it can reach the server.
    ForwardThenStall(usize),
}

/// One connection the proxy accepted: when, and what it did with it.
#[derive(Debug, Clone, Copy)]
pub struct ProxyConnection {
    /// When it was accepted.
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
    /// What to do with a connection accepted now; records it.
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
                let mode = current.lock().admit();
                tokio::spawn(async move {
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

    /// Every connection accepted so far, oldest first.
    pub fn accepted(&self) -> Vec<ProxyConnection> {
        self.control.lock().log.clone()
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
