//! The engine's threads: POSIX threads started directly, not through `std::thread`.
//!
//! Why: in a Rust program (not in a library loaded by PHP, Python, Go or C, where std's
//! runtime set-up never runs), every thread std starts or ends takes one process-wide lock
//! (std's record of thread stacks for its stack-overflow message). A fork at that moment, with
//! another thread starting or ending, leaves that lock held in the child by a thread that does
//! not exist there, and every thread the child starts through std then waits forever before
//! running a line: the fault suite's fork-during-shutdown caught a child whose new engine's
//! dispatcher and I/O threads both sat in `thread_info::set_current_info` (1 child in 40, in 1
//! of 18 runs). Threads started here never take that lock, in the parent or in a child.
//!
//! What remains: threads std starts for others (the host's own, tokio's blocking pool, which
//! resolves host names) still take it; a child forked while one of them starts or ends can
//! have its name resolutions wait until their delivery deadline (failed and counted, never a
//! hang of the process, since flush and shutdown are bounded).

use std::ffi::{c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use crossbeam_channel::RecvTimeoutError;
use pushcast_core::{Error, Result};

/// The stack each engine thread gets: std's default for spawned threads.
const STACK_BYTES: usize = 2 * 1024 * 1024;

/// A running engine thread, with a way to wait for its end that gives up at a deadline:
/// shutdown never waits without limit (a thread stuck on something the process inherited from
/// a fork, or on a system call, must not hang the host's exit). Dropped without a join, the
/// thread is detached.
pub(crate) struct Worker {
    name: &'static str,
    thread: Option<libc::pthread_t>,
    /// Disconnected once the thread's body returned (or unwound).
    finished: crossbeam_channel::Receiver<()>,
}

type Body = Box<dyn FnOnce() + Send + 'static>;

extern "C" fn run(arg: *mut c_void) -> *mut c_void {
    // SAFETY: `arg` is the `Box<Body>` leaked by `spawn` for this thread alone.
    let body = unsafe { Box::from_raw(arg.cast::<Body>()) };
    // A panic must not unwind out of an `extern "C"` function (it would abort the host). The
    // bodies report their own panics (`EngineFailed`); this is the last net.
    if catch_unwind(AssertUnwindSafe(body)).is_err() {
        eprintln!("pushcast: an engine thread panicked");
    }
    std::ptr::null_mut()
}

/// Starts `body` on a new thread named `name` (at most 15 bytes show, as in std).
pub(crate) fn spawn(name: &'static str, body: impl FnOnce() + Send + 'static) -> Result<Worker> {
    let failed = |what: &str, rc: i32| Error::Internal {
        what: "start a thread",
        reason: format!(
            "cannot start the {name} thread: {what}: {}",
            std::io::Error::from_raw_os_error(rc)
        ),
    };
    let (finished_tx, finished) = crossbeam_channel::bounded::<()>(0);
    let shown = CString::new(name.bytes().take(15).collect::<Vec<u8>>()).ok();
    let body: Body = Box::new(move || {
        // Dropped when the body returns or unwinds: the end the shutdown waits for.
        let _finished = finished_tx;
        // The thread names itself before its body runs. Named by the parent after
        // pthread_create, a body could run (and look itself up) before the name was set: the
        // name test failed 2 runs in 6 that way.
        if let Some(shown) = &shown {
            // SAFETY: the calling thread and a NUL-terminated name of at most 15 bytes.
            unsafe { libc::pthread_setname_np(libc::pthread_self(), shown.as_ptr()) };
        }
        body();
    });
    let arg = Box::into_raw(Box::new(body)).cast::<c_void>();
    // SAFETY: the attribute is initialised before use and destroyed after; `run` takes
    // ownership of `arg` once the thread exists, and we take it back when it does not.
    let thread = unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        let rc = libc::pthread_attr_init(&mut attr);
        if rc != 0 {
            drop(Box::from_raw(arg.cast::<Body>()));
            return Err(failed("pthread_attr_init", rc));
        }
        libc::pthread_attr_setstacksize(&mut attr, STACK_BYTES);
        let mut thread: libc::pthread_t = 0;
        let rc = libc::pthread_create(&mut thread, &attr, run, arg);
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            drop(Box::from_raw(arg.cast::<Body>()));
            return Err(failed("pthread_create", rc));
        }
        thread
    };
    Ok(Worker {
        name,
        thread: Some(thread),
        finished,
    })
}

impl Worker {
    /// Joins the thread if it ends by `deadline`; otherwise leaves it running, detached, and
    /// says so. Returns whether it ended.
    pub(crate) fn join_until(
        mut self,
        deadline: Instant,
        sink: Option<&crate::config::LogSink>,
    ) -> bool {
        match self.finished.recv_deadline(deadline) {
            Err(RecvTimeoutError::Disconnected) => {
                if let Some(thread) = self.thread.take() {
                    // SAFETY: our own joinable thread, joined once; its body has returned, so
                    // this waits only for its exit.
                    unsafe { libc::pthread_join(thread, std::ptr::null_mut()) };
                }
                true
            }
            Ok(()) | Err(RecvTimeoutError::Timeout) => {
                crate::config::log(
                    sink,
                    crate::config::LogLevel::Warning,
                    &format!(
                        "pushcast: the {} thread did not stop by the shutdown deadline; left running",
                        self.name
                    ),
                );
                false
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            // SAFETY: our own thread, neither joined nor detached before.
            unsafe { libc::pthread_detach(thread) };
        }
    }
}

/// Asks the kernel for short time slices on the calling thread (Linux ≥ 6.12, EEVDF's
/// per-task slice, `sched_attr.sched_runtime`; no privilege needed, the nice value is kept).
///
/// Why: the I/O thread sleeps almost always and runs for microseconds per event. With the
/// default slice, a woken I/O thread on a host whose cores are busy (PHP-FPM workers serving
/// requests) waited for the running worker's slice to end: in the FPM benchmark the `queue`
/// stage (publish → the I/O thread runs) was 240-290 µs at p50 and about 1.8 ms at p99. A short
/// slice gives the woken thread an earlier deadline, so it preempts sooner; it does not give
/// it more CPU. In the FPM benchmark (4 workers under `ab -c 4`, 2 cores) the `queue` stage went
/// from 239-287 µs p50 to 12-39 µs (slices of 0.4 and 1.5 ms helped less). Returns whether the
/// kernel took the hint (older kernels refuse: EINVAL).
///
/// Tried and not kept: the publisher yielding its core (`sched_yield`) after waking an idle
/// engine. It cut that stage further, but the caller then waited for the I/O thread's work
/// on its core: caller p50 4 µs → 88 µs at 500 events/s.
#[cfg(target_os = "linux")]
pub(crate) fn prefer_short_slices() -> bool {
    /// The kernel's `struct sched_attr` (SCHED_ATTR_SIZE_VER1: 56 bytes).
    #[repr(C)]
    struct SchedAttr {
        size: u32,
        sched_policy: u32,
        sched_flags: u64,
        sched_nice: i32,
        sched_priority: u32,
        sched_runtime: u64,
        sched_deadline: u64,
        sched_period: u64,
        sched_util_min: u32,
        sched_util_max: u32,
    }
    // The smallest slice the kernel accepts (it clamps to 0.1-100 ms).
    const SLICE_NS: u64 = 100_000;
    // SAFETY: plain system calls on the calling thread (tid 0 = self) with a fully initialised
    // struct of the size we declare.
    unsafe {
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, 0);
        if nice == -1 && *libc::__errno_location() != 0 {
            return false;
        }
        let attr = SchedAttr {
            size: std::mem::size_of::<SchedAttr>() as u32,
            sched_policy: libc::SCHED_OTHER as u32,
            sched_flags: 0,
            sched_nice: nice,
            sched_priority: 0,
            sched_runtime: SLICE_NS,
            sched_deadline: 0,
            sched_period: 0,
            sched_util_min: 0,
            sched_util_max: 0,
        };
        libc::syscall(libc::SYS_sched_setattr, 0, &attr as *const SchedAttr, 0) == 0
    }
}

/// Elsewhere there is no such hint.
#[cfg(not(target_os = "linux"))]
pub(crate) fn prefer_short_slices() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_thread_runs_its_body_and_is_joined() {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let worker = spawn("pushcast-test", move || tx.send(7).unwrap()).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 7);
        assert!(worker.join_until(Instant::now() + Duration::from_secs(5), None));
    }

    #[test]
    fn a_thread_past_the_deadline_is_left_running_and_a_panic_stays_inside() {
        let (go, wait) = crossbeam_channel::bounded::<()>(0);
        let worker = spawn("pushcast-test", move || {
            let _ = wait.recv();
            panic!("inside the thread");
        })
        .unwrap();
        assert!(!worker.join_until(Instant::now() + Duration::from_millis(50), None));
        // The thread is detached; let it panic: the process carries on.
        drop(go);
        std::thread::sleep(Duration::from_millis(50));
    }

    /// The kernel's view of the calling thread's slice (`se.slice`, ns), where it shows it.
    fn own_slice_ns() -> Option<u64> {
        let sched = std::fs::read_to_string("/proc/thread-self/sched").ok()?;
        let line = sched.lines().find(|l| l.starts_with("se.slice"))?;
        line.split(':').nth(1)?.trim().parse().ok()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn short_slices_are_what_the_kernel_then_uses() {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let worker = spawn("pushcast-slice", move || {
            let before = own_slice_ns();
            let took = prefer_short_slices();
            tx.send((before, took, own_slice_ns())).unwrap();
        })
        .unwrap();
        let (before, took, after) = rx.recv().unwrap();
        assert!(worker.join_until(Instant::now() + Duration::from_secs(5), None));
        match (took, after) {
            // Taken: the kernel now uses 0.1 ms slices for this thread (it was at its default).
            (true, Some(after)) => {
                assert_eq!(after, 100_000, "slice before {before:?}");
                assert_ne!(before, Some(100_000));
            }
            // Refused (a kernel before 6.12): nothing changed.
            (false, after) => assert_eq!(after, before),
            // Taken on a kernel that does not show slices: nothing to compare.
            (true, None) => {}
        }
    }

    #[test]
    fn the_thread_carries_its_name() {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let worker = spawn("pushcast-example", move || {
            let mut buf = [0u8; 16];
            // SAFETY: the calling thread and a 16-byte buffer.
            unsafe { libc::pthread_getname_np(libc::pthread_self(), buf.as_mut_ptr().cast(), 16) };
            let end = buf.iter().position(|b| *b == 0).unwrap();
            tx.send(String::from_utf8_lossy(&buf[..end]).into_owned())
                .unwrap();
        })
        .unwrap();
        assert_eq!(rx.recv().unwrap(), "pushcast-exampl");
        assert!(worker.join_until(Instant::now() + Duration::from_secs(5), None));
    }
}
