//! How `pushcast bench` shares its live stats with `pushcast stats` in another terminal.
//!
//! The bench writes a JSON snapshot every 500 ms to its stats file (`--stats-file`, or
//! `<temp dir>/pushcast-bench-<pid>.json`, printed at start), replacing it atomically (write to
//! a `.tmp` sibling, then rename) so a reader never sees half a file. It also records that path
//! in `<temp dir>/pushcast-bench.latest`, so `pushcast stats` without arguments finds the most
//! recently started bench. A file, not a socket: it outlives the bench (the final numbers stay
//! readable) and needs no server in the load generator.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pushcast_client::StatsSnapshot;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cli::StatsArgs;
use crate::client::seconds;
use crate::error::{CliError, CliResult, Exit};

/// One snapshot of a bench, as written to the stats file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchSnapshot {
    /// The bench's process id.
    pub pid: u32,
    /// Whether the bench has finished (these are its final numbers).
    pub finished: bool,
    /// When this snapshot was written, unix milliseconds.
    pub updated_unix_ms: u64,
    /// Events the bench was asked to publish.
    pub target_events: u64,
    /// Events published so far.
    pub published: u64,
    /// Seconds since the bench started publishing.
    pub elapsed_s: f64,
    /// Delivered events per second since the start.
    pub delivered_per_s: f64,
    /// The publisher's counters by name (`delivered`, `failed`, `queue_depth`, ...).
    pub counters: Map<String, Value>,
    /// Median publish-to-acknowledgement latency, microseconds.
    pub latency_p50_us: Option<u64>,
    /// 99th percentile of the same.
    pub latency_p99_us: Option<u64>,
    /// The most recent error.
    pub last_error: Option<String>,
}

impl BenchSnapshot {
    /// A snapshot from the client's stats.
    pub fn new(
        stats: &StatsSnapshot,
        target_events: u64,
        published: u64,
        elapsed: Duration,
        finished: bool,
    ) -> Self {
        let elapsed_s = elapsed.as_secs_f64();
        BenchSnapshot {
            pid: std::process::id(),
            finished,
            updated_unix_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or_default(),
            target_events,
            published,
            elapsed_s,
            delivered_per_s: stats.delivered as f64 / elapsed_s.max(1e-9),
            counters: stats
                .counters()
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                .collect(),
            latency_p50_us: stats.latency_p50_us,
            latency_p99_us: stats.latency_p99_us,
            last_error: stats.last_error.clone(),
        }
    }

    fn counter(&self, name: &str) -> u64 {
        self.counters
            .get(name)
            .and_then(Value::as_u64)
            .unwrap_or_default()
    }

    /// One human-readable line.
    pub fn line(&self) -> String {
        let state = if self.finished {
            "finished"
        } else if process_alive(self.pid) {
            "running"
        } else {
            "gone (stopped before finishing)"
        };
        let micros = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v}us"));
        let mut line = format!(
            "bench pid={} {state} elapsed={:.1}s published={}/{} delivered={} ({:.0}/s) failed={} queue={} p50={} p99={}",
            self.pid,
            self.elapsed_s,
            self.published,
            self.target_events,
            self.counter("delivered"),
            self.delivered_per_s,
            self.counter("failed"),
            self.counter("queue_depth"),
            micros(self.latency_p50_us),
            micros(self.latency_p99_us),
        );
        if let Some(error) = &self.last_error {
            line.push_str(&format!(" last_error={error:?}"));
        }
        line
    }
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// The pointer file naming the most recently started bench's stats file.
fn latest_pointer() -> PathBuf {
    std::env::temp_dir().join("pushcast-bench.latest")
}

/// The default stats file of this process.
pub fn default_path() -> PathBuf {
    std::env::temp_dir().join(format!("pushcast-bench-{}.json", std::process::id()))
}

/// Records `path` as the latest bench's stats file.
pub fn announce(path: &Path) -> CliResult {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    std::fs::write(latest_pointer(), absolute.display().to_string()).map_err(|e| {
        CliError::new(
            Exit::Failure,
            format!("cannot write the stats pointer: {e}"),
        )
    })
}

/// Replaces the stats file atomically.
pub fn write(path: &Path, snapshot: &BenchSnapshot) -> CliResult {
    let text = serde_json::to_string(snapshot)
        .map_err(|e| CliError::new(Exit::Failure, format!("cannot encode stats: {e}")))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            CliError::new(
                Exit::Failure,
                format!("cannot write {}: {e}", path.display()),
            )
        })
}

fn read(path: &Path) -> CliResult<(String, BenchSnapshot)> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            Exit::Failure,
            format!("cannot read bench stats {}: {e}", path.display()),
        )
    })?;
    let snapshot = serde_json::from_str(&text).map_err(|e| {
        CliError::new(
            Exit::Failure,
            format!("{} is not a bench stats file: {e}", path.display()),
        )
    })?;
    Ok((text, snapshot))
}

/// `pushcast stats`: prints the snapshot once, or with `--watch` until the bench is done.
pub fn show(args: &StatsArgs) -> CliResult {
    let path = match &args.stats_file {
        Some(p) => p.clone(),
        None => {
            let pointer = latest_pointer();
            let text = std::fs::read_to_string(&pointer).map_err(|_| {
                CliError::usage(format!(
                    "no bench has announced its stats ({} is missing); pass --stats-file",
                    pointer.display()
                ))
            })?;
            PathBuf::from(text.trim())
        }
    };
    let interval = seconds(args.interval, "--interval")?;
    let print = |text: &str, snapshot: &BenchSnapshot| {
        if args.json {
            println!("{}", text.trim());
        } else {
            println!("{}", snapshot.line());
        }
    };
    loop {
        let (mut text, mut snapshot) = read(&path)?;
        if !snapshot.finished && !process_alive(snapshot.pid) {
            // The bench may have written its final snapshot between the read and the check.
            (text, snapshot) = read(&path)?;
        }
        print(&text, &snapshot);
        if !args.watch || snapshot.finished || !process_alive(snapshot.pid) {
            return Ok(());
        }
        std::thread::sleep(interval);
    }
}
