//! A real Redis (Debian `redis-server`, installed by `scripts/lib/ensure-apt redis-server`) on a
//! free loopback port, with no persistence: the scale-out suite's shared adapter for sockudo.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

/// A running `redis-server`. Killed when dropped.
pub struct Redis {
    pub port: u16,
    child: Child,
    log: PathBuf,
}

impl Redis {
    /// Starts `redis-server` (from `PATH`) on a free port and waits until it answers `PING`.
    pub fn start() -> Redis {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("pushcast-redis-{port}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new("redis-server")
            // Everything on the command line: no config file, no disk, loopback only.
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--dir", &std::env::temp_dir().display().to_string()])
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start redis-server ({e}); run scripts/lib/ensure-apt redis-server")
            });
        let mut redis = Redis { port, child, log };
        redis.wait_up(Duration::from_secs(10));
        redis
    }

    fn wait_up(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "redis-server exited ({status}) before it was up; log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} not up after {limit:?}", self.port);
    }

    /// Whether the server answers `PING` with `+PONG`.
    pub fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let mut answer = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    /// `redis://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
