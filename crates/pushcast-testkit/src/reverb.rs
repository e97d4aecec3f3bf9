//! A real Laravel Reverb (1.10.2 on Laravel 11.33.2) from `../shared/reverb`, for tests.
//!
//! `../shared` exists only in this workplace and its CI: where it is absent, [`Reverb::start`]
//! says so and returns `None`, and the test skips. Under CI (`CI=true`) it must be there, and
//! its absence fails the test instead of skipping it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pushcast_core::{App, Credentials, ServerProfile};

use crate::{free_port, APP_ID, APP_KEY, APP_SECRET};

/// A running Reverb on a free loopback port, stopped (SIGTERM) when dropped. Same app
/// credentials as the test kit's sockudo.
pub struct Reverb {
    /// Its HTTP and WebSocket port.
    pub port: u16,
    child: Child,
    log: PathBuf,
}

/// The shared folder: `PUSHCAST_SHARED`, else `shared/` beside the clone.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("PUSHCAST_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    )
}

impl Reverb {
    /// Starts Reverb with extra environment (`REVERB_MAX_REQUEST_SIZE`, ...) and waits until
    /// `/up` answers; `None` (with a message) where `../shared/reverb` is absent outside CI.
    pub fn start_with(env: &[(&str, &str)]) -> Option<Reverb> {
        let start = shared_dir().join("reverb/start");
        if !start.exists() {
            let why = format!("no Reverb at {}", start.display());
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{why}: CI must run the Reverb tests"
            );
            eprintln!("skipped: {why} (../shared is only in this workplace and its CI)");
            return None;
        }
        let port = free_port();
        let log = std::env::temp_dir().join(format!("pushcast-reverb-{port}.log"));
        let out = std::fs::File::create(&log).expect("reverb log");
        let err = out.try_clone().expect("reverb log");
        let mut command = Command::new(start);
        command
            .args([&port.to_string(), APP_ID, APP_KEY, APP_SECRET])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("cannot start Reverb");
        let mut reverb = Reverb { port, child, log };
        reverb.wait_up(Duration::from_secs(30));
        Some(reverb)
    }

    /// [`Reverb::start_with`] with Reverb's defaults.
    pub fn start() -> Option<Reverb> {
        Reverb::start_with(&[])
    }

    fn wait_up(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.up() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "Reverb exited ({status}) before it was up; log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("Reverb on port {} not up after {limit:?}", self.port);
    }

    fn up(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        if write!(
            stream,
            "GET /up HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .is_err()
        {
            return false;
        }
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        // Reverb answers HTTP/1.0.
        text.starts_with("HTTP/1.") && text.split(' ').nth(1) == Some("200")
    }

    /// `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The test app with the reverb profile.
    pub fn app(&self) -> App {
        self.app_with(ServerProfile::reverb())
    }

    /// The test app with another profile.
    pub fn app_with(&self, profile: ServerProfile) -> App {
        App::new(Credentials::new(APP_ID, APP_KEY, APP_SECRET).expect("test kit credentials"))
            .with_profile(profile)
    }
}

impl Drop for Reverb {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid with a valid signal number. `start` execs
        // PHP, so this pid is the server's.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}
