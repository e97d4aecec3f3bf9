//! A real sockudo process on a free loopback port, configured by environment (no config file).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pushcast_core::{App, Credentials, ServerProfile};

use crate::{free_port, workspace_root};

/// The test app's id (numeric: the Python SDK insists on it).
pub const APP_ID: &str = "12345";
/// The test app's key.
pub const APP_KEY: &str = "app-key";
/// The test app's secret.
pub const APP_SECRET: &str = "app-secret";

/// Limits given to sockudo's env-configured app (its own defaults are 100 for each).
#[derive(Debug, Clone)]
pub struct SockudoOptions {
    /// Events per `batch_events` request.
    pub max_batch: usize,
    /// Names (channels, events), in bytes.
    pub max_name: usize,
    /// Event data, in KB.
    pub max_payload_kb: usize,
    /// Redis URL for the scale-out adapter; `None` runs the local adapter.
    pub redis_url: Option<String>,
    /// `RUST_LOG` for the server (for example to log each API request); `None` keeps its own.
    pub log_filter: Option<String>,
}

impl Default for SockudoOptions {
    fn default() -> Self {
        SockudoOptions {
            max_batch: 100,
            max_name: 200,
            max_payload_kb: 100,
            redis_url: None,
            log_filter: None,
        }
    }
}

impl SockudoOptions {
    /// The test app, with a sockudo profile matching these limits (for a process that publishes
    /// to a server it did not start, such as a child of the fault suite).
    pub fn app(&self) -> App {
        let mut profile = ServerProfile::sockudo();
        profile.max_events_per_batch = Some(self.max_batch);
        profile.max_channel_name_len = Some(self.max_name);
        profile.max_event_name_len = Some(self.max_name);
        profile.max_event_data_bytes = Some(self.max_payload_kb * 1024);
        App::new(Credentials::new(APP_ID, APP_KEY, APP_SECRET).unwrap()).with_profile(profile)
    }
}

/// The sockudo binary: `SOCKUDO_BIN`, or the cached build from `scripts/lib/ensure-sockudo`.
pub fn binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let script = workspace_root().join("scripts/lib/ensure-sockudo");
        let out = Command::new(&script)
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(out.status.success(), "ensure-sockudo failed");
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
    .clone()
}

/// A running sockudo. Killed (SIGKILL, the port is free at once) when dropped.
pub struct Sockudo {
    pub port: u16,
    options: SockudoOptions,
    child: Option<Child>,
    log: PathBuf,
}

impl Sockudo {
    /// Starts sockudo on a free port and waits until `/up` answers `OK`.
    pub fn start() -> Sockudo {
        Sockudo::start_with(SockudoOptions::default())
    }

    /// Starts with the given limits.
    pub fn start_with(options: SockudoOptions) -> Sockudo {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("pushcast-sockudo-{port}.log"));
        let mut s = Sockudo {
            port,
            options,
            child: None,
            log,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let log = std::fs::File::create(&self.log).unwrap();
        let o = &self.options;
        let mut cmd = Command::new(binary());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOST", "127.0.0.1")
            .env("PORT", self.port.to_string())
            .env("SOCKUDO_DEFAULT_APP_ID", APP_ID)
            .env("SOCKUDO_DEFAULT_APP_KEY", APP_KEY)
            .env("SOCKUDO_DEFAULT_APP_SECRET", APP_SECRET)
            .env("RATE_LIMITER_ENABLED", "false")
            .env("METRICS_ENABLED", "false")
            .env(
                "SOCKUDO_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SECOND",
                "1000000",
            )
            .env("SOCKUDO_DEFAULT_APP_MAX_CONNECTIONS", "100000")
            .env(
                "SOCKUDO_DEFAULT_APP_MAX_EVENT_BATCH_SIZE",
                o.max_batch.to_string(),
            )
            .env(
                "SOCKUDO_DEFAULT_APP_MAX_CHANNEL_NAME_LENGTH",
                o.max_name.to_string(),
            )
            .env(
                "SOCKUDO_DEFAULT_APP_MAX_EVENT_NAME_LENGTH",
                o.max_name.to_string(),
            )
            .env(
                "SOCKUDO_DEFAULT_APP_MAX_EVENT_PAYLOAD_IN_KB",
                o.max_payload_kb.to_string(),
            )
            .env("SHUTDOWN_GRACE_PERIOD", "1")
            // sockudo keeps at most 1,000 messages queued for one subscriber by default and,
            // past it, drops what a burst adds (its "slow consumer" limit). A test subscriber
            // reading a burst (a stall thawing, thousands of events in a second) can fall that
            // far behind: the events were delivered by pushcast and acknowledged by sockudo,
            // then dropped by sockudo on their way to the subscriber, and a fault scenario
            // counted them lost (server-stalled, 1 run in 3). The tests measure the publisher,
            // so the test server's per-subscriber queue is made large enough never to drop.
            .env(
                "WEBSOCKET_MAX_MESSAGES",
                std::env::var("PUSHCAST_TEST_SOCKUDO_WS_MAX_MESSAGES")
                    .unwrap_or_else(|_| "1000000".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        if let Some(filter) = &o.log_filter {
            cmd.env("RUST_LOG", filter);
        }
        match &o.redis_url {
            Some(url) => {
                // No fallback to the local adapter: a node that cannot reach Redis must fail to
                // start, not run alone and deliver other nodes' events to nobody.
                cmd.env("ADAPTER_DRIVER", "redis")
                    .env("ADAPTER_FALLBACK_TO_LOCAL", "false")
                    .env("CACHE_DRIVER", "redis")
                    .env("QUEUE_DRIVER", "memory")
                    .env("REDIS_URL", url);
            }
            None => {
                cmd.env("QUEUE_DRIVER", "memory");
            }
        }
        self.child = Some(cmd.spawn().expect("cannot start sockudo"));
        self.wait_up(Duration::from_secs(30));
    }

    fn wait_up(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.health().as_deref() == Some("OK") {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "sockudo exited ({status}) before it was up; log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("sockudo on port {} not up after {limit:?}", self.port);
    }

    /// What `GET /up` answers, or `None` if nothing answers.
    pub fn health(&self) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
        write!(
            stream,
            "GET /up HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        text.split("\r\n\r\n").nth(1).map(|b| b.trim().to_owned())
    }

    /// Kills the server (SIGKILL) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server gracefully (SIGTERM: sockudo drains for `SHUTDOWN_GRACE_PERIOD`, then
    /// exits) and waits for it to exit, so the port is free again.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: kill(2) on our own child's pid with a valid signal number.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (killing it first if it still runs).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server.
    pub fn signal(&self, signal: i32) {
        if let Some(child) = &self.child {
            // SAFETY: kill(2) on our own child's pid with a valid signal number.
            unsafe {
                libc::kill(child.id() as i32, signal);
            }
        }
    }

    /// The server's log (standard output and error), rewritten at each (re)start.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The test app, with a sockudo profile matching this server's limits.
    pub fn app(&self) -> App {
        self.options.app()
    }
}

impl Drop for Sockudo {
    fn drop(&mut self) {
        self.kill();
    }
}
