//! One running engine: the queue, the dispatcher thread, and the I/O thread with its lanes.
//! Started on first use in a process (and again in a forked child); stopped by shutdown.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sync::Mutex;
use crossbeam_channel::Sender;
use pushcast_core::{Error, Result};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::config::ClientConfig;
use crate::dispatch::{Command, Dispatcher};
use crate::fork;
use crate::lane;
use crate::shared::{deadline_after, Item, Shared};
use crate::thread::Worker;
use crate::transport::http_client;

pub(crate) struct Engine {
    /// The fork generation this engine was started in.
    pub generation: u64,
    pub shared: Arc<Shared>,
    pub http: reqwest::Client,
    pub runtime: tokio::runtime::Handle,
    queue: Sender<Command>,
    stop: Arc<AtomicBool>,
    abort: Arc<Notify>,
    threads: Mutex<Vec<Worker>>,
    io_stop: Mutex<Option<oneshot::Sender<()>>>,
    /// The spool thread and its stop flag, when there is a spool.
    spool_thread: Mutex<Option<(Worker, Arc<AtomicBool>)>>,
}

/// Puts items on the dispatcher's queue (reserved already; counted as enqueued by the caller).
fn push(queue: &Sender<Command>, shared: &Shared, items: Vec<Item>) {
    for item in items {
        if let Err(crossbeam_channel::SendError(Command::Publish(item))) =
            queue.send(Command::Publish(item))
        {
            // Only after shutdown: the dispatcher is gone.
            shared.abandoned(vec![item]);
        }
    }
}

/// The text of a panic's payload.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

impl Engine {
    pub(crate) fn start(config: ClientConfig) -> Result<Engine> {
        fork::ensure_handler();
        let generation = fork::generation();
        let http = http_client(&config)?;
        let lanes = config.max_in_flight;
        let spool = match &config.spool {
            Some(spool) => Some(Arc::new(crate::spool::Spool::open(spool)?)),
            None => None,
        };
        let shared = Arc::new(Shared::new(config, spool.clone()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Internal {
                what: "start the I/O runtime",
                reason: e.to_string(),
            })?;
        let handle = runtime.handle().clone();
        let (io_stop, io_stopped) = oneshot::channel::<()>();
        let io = crate::thread::spawn("pushcast-io", move || {
            runtime.block_on(async {
                let _ = io_stopped.await;
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        })?;

        let (queue, queue_rx) = crossbeam_channel::unbounded();
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        let abort = Arc::new(Notify::new());
        let mut lane_senders = Vec::with_capacity(lanes);
        for lane in 0..lanes {
            let (tx, rx) = mpsc::unbounded_channel();
            lane_senders.push(tx);
            let task = handle.spawn(lane::run(
                lane,
                Arc::clone(&shared),
                http.clone(),
                Arc::clone(&abort),
                rx,
                done_tx.clone(),
            ));
            // A lane that panics would leave its events waiting forever: say so instead.
            let watched = Arc::clone(&shared);
            handle.spawn(async move {
                if let Err(e) = task.await {
                    if e.is_panic() {
                        let what = panic_message(e.into_panic());
                        watched.fail_engine(format!("lane {lane} panicked: {what}"));
                    }
                }
            });
        }
        let stop = Arc::new(AtomicBool::new(false));
        let dispatcher = Dispatcher {
            shared: Arc::clone(&shared),
            queue: queue_rx,
            done: done_rx,
            lanes: lane_senders,
            stop: Arc::clone(&stop),
        };
        let watched = Arc::clone(&shared);
        let dispatch = crate::thread::spawn("pushcast-dispatch", move || {
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatcher.run()));
            if let Err(panic) = run {
                let what = panic_message(panic);
                watched.fail_engine(format!("the dispatcher thread panicked: {what}"));
            }
        })?;
        let spool_thread = match spool {
            None => None,
            Some(spool) => {
                let stop = Arc::new(AtomicBool::new(false));
                let (shared, queue, stop_flag) = (Arc::clone(&shared), queue.clone(), stop.clone());
                let thread = crate::thread::spawn("pushcast-spool", move || {
                    let pushing = Arc::clone(&shared);
                    crate::spool::worker::run(
                        spool,
                        shared,
                        move |items| push(&queue, &pushing, items),
                        stop_flag,
                    )
                })?;
                Some((thread, stop))
            }
        };
        Ok(Engine {
            generation,
            shared,
            http,
            runtime: handle,
            queue,
            stop,
            abort,
            threads: Mutex::new(vec![dispatch, io]),
            io_stop: Mutex::new(Some(io_stop)),
            spool_thread: Mutex::new(spool_thread),
        })
    }

    /// Puts reserved items on the queue.
    pub(crate) fn enqueue(&self, items: Vec<Item>) {
        let n = items.len() as u64;
        push(&self.queue, &self.shared, items);
        self.shared.stats.counters.enqueued.fetch_add(n, SeqCst);
    }

    /// With a spool: writes the items to disk under the backpressure `policy`, then queues
    /// them (or leaves them on disk for the spool thread). `Ok(Some(items))`: dropped by the
    /// drop-newest policy, handed back for the failure log.
    pub(crate) fn accept_spooled(
        &self,
        spool: &crate::spool::Spool,
        items: Vec<Item>,
        policy: crate::config::Backpressure,
    ) -> Result<Option<Vec<Item>>> {
        let n = items.len() as u64;
        let dropped = spool.accept(&self.shared, items, policy, |items| {
            push(&self.queue, &self.shared, items)
        })?;
        if dropped.is_none() {
            self.shared.stats.counters.enqueued.fetch_add(n, SeqCst);
        }
        Ok(dropped)
    }

    /// Flushes up to `timeout`, then stops the threads; returns what was still pending.
    /// Threads get until the deadline, and at least a second, to stop; one that doesn't is
    /// left running rather than waited for without limit.
    pub(crate) fn shutdown(&self, timeout: Duration) -> usize {
        let deadline = deadline_after(Instant::now(), timeout);
        let join_deadline = || deadline.max(Instant::now() + Duration::from_secs(1));
        let sink = self.shared.config.log.as_ref();
        let pending = self.shared.wait_empty(deadline);
        self.stop.store(true, SeqCst);
        if pending > 0 {
            self.shared.aborting.store(true, SeqCst);
            self.abort.notify_waiters();
        }
        let _ = self.queue.send(Command::Wake);
        let threads = std::mem::take(&mut *self.threads.lock());
        let mut threads = threads.into_iter();
        if let Some(dispatch) = threads.next() {
            dispatch.join_until(join_deadline(), sink);
        }
        // The dispatcher is gone: lanes see their senders dropped and finish.
        self.abort.notify_waiters();
        if let Some(stop) = self.io_stop.lock().take() {
            let _ = stop.send(());
        }
        for t in threads {
            t.join_until(join_deadline(), sink);
        }
        // Last, the spool: everything resolved is deleted; what waits on disk stays there.
        if let Some((thread, stop)) = self.spool_thread.lock().take() {
            stop.store(true, SeqCst);
            if let Some(spool) = &self.shared.spool {
                spool.wake();
            }
            thread.join_until(join_deadline(), sink);
        }
        if let Some(spool) = &self.shared.spool {
            spool.leave_backlog();
        }
        pending
    }
}
