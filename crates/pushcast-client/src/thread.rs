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
        crate::log::log(
            None,
            crate::log::LogLevel::Error,
            "pushcast: an engine thread panicked",
        );
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
        sink: Option<&crate::log::LogSink>,
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
                crate::log::log(
                    sink,
                    crate::log::LogLevel::Warning,
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
