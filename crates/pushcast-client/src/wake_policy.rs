//! The I/O thread's scheduling policy: `SCHED_BATCH` while the engine is idle, so that the
//! publish that wakes it never loses its core to it; the normal policy while it works, and
//! always in an engine whose publishers write ahead.
//!
//! Why: a publish wakes the I/O thread, which the kernel places on the publisher's core. Once
//! pre-dialled connections made its work per event small, the kernel began to run it at once,
//! in the middle of `publish`, and the caller waited for the send: the Rust caller's p50 at 500
//! events/s went from 4.8 to 40.5 µs (scripts/bench-stages 9eb3678). `SCHED_BATCH` (which an
//! unprivileged thread may choose for itself) takes away only that right to preempt at a
//! wake-up: the thread keeps its share and runs as soon as a core is free, the waker blocks, or
//! the next tick comes. Over three interleaved runs of 5,000 events at 500/s: caller p50 4.3-7.9
//! µs against 40-45 µs (Rust), 14-16 against 57-62 µs (PHP), end-to-end p99 no worse.
//!
//! Why only while idle: kept all the time, it cost about 10 % of the throughput of a caller
//! that publishes as fast as it can (1 KB events, three runs each: Rust 48,647-56,451 events/s
//! against 54,353-63,119), because then the answers that wake the I/O thread find the caller
//! on the core, and the I/O thread could not take it. A busy engine is woken by the network,
//! not by its caller, so it runs with the normal policy; only the wake-up out of idleness, the
//! one a publish causes, is made under `SCHED_BATCH`. The switch is one system call each way,
//! made only when the state changes (none under sustained load).
//!
//! Why not for an engine whose publishers write ahead (ahead.rs: plain HTTP to a server that
//! closes connections): there the publisher sends an idle engine's event itself, so the wake-up
//! no longer delays it, and the caller pays for the send either way (caller p50 at 500
//! events/s about the same with or without `SCHED_BATCH`, three interleaved runs: 34-43 against
//! 35-53 µs, Rust). What the I/O thread then has to do promptly is read the answer, because
//! the worker's next event waits for it in the lane; on a saturated PHP-FPM host (`ab -c 4`,
//! two runs of 2,000 requests each per payload) `SCHED_BATCH` left it behind the busy workers:
//! latency p99 2.86, 7.42, 3.42, 1.85 ms with it against 2.65, 2.10, 2.10, 2.16 without
//! (baseline 2.13, 2.05, 2.13, 2.04).

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

/// The I/O thread's current policy, so that the system call is made on a change only.
#[derive(Debug)]
pub(crate) struct WakePolicy {
    /// Whether an idle engine parks as `SCHED_BATCH` at all (not when publishers write ahead).
    enabled: bool,
    batch: AtomicBool,
}

impl WakePolicy {
    /// The policy for an engine; `publishers_write_ahead`: its publishers send an idle
    /// engine's event themselves (it has the direct path), and the thread keeps the normal
    /// policy throughout.
    pub(crate) fn new(publishers_write_ahead: bool) -> Self {
        WakePolicy {
            enabled: !publishers_write_ahead,
            batch: AtomicBool::new(false),
        }
    }

    /// The runtime is about to park (nothing to run until I/O, a timer or a wake-up):
    /// `SCHED_BATCH` when the engine holds no event (nothing queued, nothing in flight).
    pub(crate) fn parking(&self, engine_idle: bool) {
        if self.enabled && engine_idle && !self.batch.load(Relaxed) {
            set_batch(true);
            self.batch.store(true, Relaxed);
        }
    }

    /// The runtime woke: back to the normal policy.
    pub(crate) fn unparked(&self) {
        if self.batch.load(Relaxed) {
            set_batch(false);
            self.batch.store(false, Relaxed);
        }
    }
}

/// `SCHED_BATCH` or `SCHED_OTHER` for the calling thread. A failure (a seccomp filter) leaves
/// the thread as it was; elsewhere than Linux nothing is done.
fn set_batch(batch: bool) {
    #[cfg(target_os = "linux")]
    {
        let policy = if batch {
            libc::SCHED_BATCH
        } else {
            libc::SCHED_OTHER
        };
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 is the calling thread; `param` is valid for the call.
        unsafe { libc::sched_setscheduler(0, policy, &param) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = batch;
}
