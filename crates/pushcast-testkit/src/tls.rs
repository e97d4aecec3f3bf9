//! A local TLS proxy: Debian's nginx terminating TLS on a free loopback port and forwarding
//! plain HTTP (and websocket upgrades) to a server on another loopback port.
//!
//! The certificates are made for each proxy ([`crate::certs`]): its own private CA, so a client
//! trusts this proxy only when given [`TlsProxy::ca_file`].

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::certs::{generate, CertKind};
use crate::free_port;

/// A running nginx; stopped (SIGTERM, then waited for) when dropped.
pub struct TlsProxy {
    /// The TLS port on 127.0.0.1.
    pub port: u16,
    /// The PEM CA certificate that signed the proxy's server certificate.
    pub ca_file: PathBuf,
    dir: PathBuf,
    child: Child,
}

/// nginx's configuration: one worker; TLS 1.2 or 1.3 in (nginx 1.22 leaves 1.3 out unless
/// asked); HTTP/1.1 out, websocket upgrades passed through; every request logged (so a test can
/// tell whether a request got past the handshake).
fn nginx_config(dir: &std::path::Path, port: u16, upstream: u16, run_as_root: bool) -> String {
    let d = dir.display();
    let user = if run_as_root { "user root;" } else { "" };
    format!(
        "daemon off;
worker_processes 1;
{user}
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {d}/server.pem;
    ssl_certificate_key {d}/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    keepalive_requests 1000000;
    client_max_body_size 16m;
    location / {{
      proxy_pass http://127.0.0.1:{upstream};
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 3600s;
    }}
  }}
}}
"
    )
}

impl TlsProxy {
    /// Makes certificates of `kind`, starts nginx on a free port in front of
    /// `127.0.0.1:{upstream}`, and waits until it accepts connections.
    pub fn start(upstream: u16, kind: CertKind) -> TlsProxy {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pushcast-tls-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let certs = generate(&dir, kind);
        let port = free_port();
        // SAFETY: getuid has no preconditions.
        let root = unsafe { libc::getuid() } == 0;
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, nginx_config(&dir, port, upstream, root)).unwrap();
        let child = Command::new(nginx_binary())
            .arg("-c")
            .arg(&conf)
            .arg("-p")
            .arg(&dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start nginx (scripts/lib/ensure-apt nginx-light): {e}")
            });
        let mut proxy = TlsProxy {
            port,
            ca_file: certs.ca,
            dir,
            child,
        };
        proxy.wait_listening(Duration::from_secs(10));
        proxy
    }

    fn wait_listening(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "nginx exited ({status}) before listening; log:\n{}",
                    std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("nginx on port {} not listening after {limit:?}", self.port);
    }

    /// `https://127.0.0.1:{port}` (the certificate names 127.0.0.1 and localhost).
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// How many HTTP requests nginx has logged: a request that failed the TLS handshake never
    /// becomes one.
    pub fn requests_seen(&self) -> usize {
        std::fs::read_to_string(self.dir.join("access.log"))
            .map(|log| log.lines().count())
            .unwrap_or(0)
    }
}

/// `nginx` from PATH, or Debian's `/usr/sbin/nginx` (not on a non-root PATH).
fn nginx_binary() -> PathBuf {
    let sbin = PathBuf::from("/usr/sbin/nginx");
    if sbin.is_file() {
        sbin
    } else {
        PathBuf::from("nginx")
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's pid; SIGTERM is nginx's fast shutdown, which also
        // stops its worker.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
        if std::env::var_os("KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
