//! One running engine: the queue, and the I/O thread whose runtime runs the dispatcher and
//! the lanes. Started on first use in a process (and again in a forked child); stopped by
//! shutdown.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::sync::Mutex;
use pushcast_core::{Error, Result};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::config::ClientConfig;
use crate::deadline::deadline_after;
use crate::dispatch::{Command, Dispatcher};
use crate::fork;
use crate::item::Item;
use crate::lane;
use crate::shared::Shared;
use crate::thread::Worker;
use crate::transport::Transport;

pub(crate) struct Engine {
    /// The fork generation this engine was started in.
    pub generation: u64,
    pub shared: Arc<Shared>,
    pub http: Transport,
    pub runtime: tokio::runtime::Handle,
    queue: mpsc::UnboundedSender<Command>,
    stop: Arc<AtomicBool>,
    abort: Arc<Notify>,
    /// Disconnected when the dispatcher task has ended (returned, or panicked).
    dispatcher_ended: crossbeam_channel::Receiver<()>,
    /// The I/O thread, until shutdown joins it.
    io_thread: Mutex<Option<Worker>>,
    io_stop: Mutex<Option<oneshot::Sender<()>>>,
    /// The spool thread and its stop flag, when there is a spool.
    spool_thread: Mutex<Option<(Worker, Arc<AtomicBool>)>>,
}

/// Puts items on the dispatcher's queue (reserved already; counted as enqueued by the caller).
fn push(queue: &mpsc::UnboundedSender<Command>, shared: &Shared, items: Vec<Item>) {
    for item in items {
        if let Err(mpsc::error::SendError(Command::Publish(item))) =
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
        let http = Transport::new(&config)?;
        let lanes = config.max_in_flight;
        let spool = match &config.spool {
            Some(spool) => Some(Arc::new(crate::spool::Spool::open(spool)?)),
            None => None,
        };
        let shared = Arc::new(Shared::new(config, spool.clone()));
        let policy = Arc::new(crate::wake_policy::WakePolicy::new(http.direct.is_some()));
        let (parking, unparked, idle) = (Arc::clone(&policy), policy, Arc::clone(&shared));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .on_thread_park(move || parking.parking(idle.pending() == 0))
            .on_thread_unpark(move || unparked.unparked())
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

        let (queue, queue_rx) = mpsc::unbounded_channel();
        let (done_tx, done_rx) = mpsc::unbounded_channel();
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
            lanes: lane_senders,
            stop: Arc::clone(&stop),
        };
        let task = handle.spawn(dispatcher.run(queue_rx, done_rx));
        // Dropped (disconnecting `dispatcher_ended`) once the dispatcher has ended either way.
        let (ended, dispatcher_ended) = crossbeam_channel::bounded::<()>(0);
        let watched = Arc::clone(&shared);
        handle.spawn(async move {
            if let Err(e) = task.await {
                if e.is_panic() {
                    let what = panic_message(e.into_panic());
                    watched.fail_engine(format!("the dispatcher panicked: {what}"));
                }
            }
            drop(ended);
        });
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
            dispatcher_ended,
            io_thread: Mutex::new(Some(io)),
            io_stop: Mutex::new(Some(io_stop)),
            spool_thread: Mutex::new(spool_thread),
        })
    }

    /// Puts reserved items on the queue. An event alone in an idle engine has its request
    /// written first, on this thread (ahead.rs).
    pub(crate) fn enqueue(&self, mut items: Vec<Item>) {
        let n = items.len() as u64;
        if let [item] = items.as_mut_slice() {
            // Not once shutdown began: the event could be written and then abandoned.
            let alone = self.shared.pending() == 1 && !self.stop.load(SeqCst);
            crate::ahead::write(&self.shared, &self.http, item, alone);
        }
        push(&self.queue, &self.shared, items);
        self.shared.stats.counters.enqueued.fetch_add(n, SeqCst);
    }

    /// With a spool: writes admitted items to disk (`sizes`: their reserved bytes), then
    /// queues them, or leaves them on disk for the spool thread.
    pub(crate) fn write_to_spool(
        &self,
        spool: &crate::spool::Spool,
        items: Vec<Item>,
        sizes: (Vec<u32>, u64),
    ) -> Result<()> {
        let n = items.len() as u64;
        spool.write(&*self.shared, items, sizes, |items| {
            push(&self.queue, &self.shared, items)
        })?;
        self.shared.stats.counters.enqueued.fetch_add(n, SeqCst);
        Ok(())
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
        if let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
            self.dispatcher_ended.recv_deadline(join_deadline())
        {
            crate::log::log(
                sink,
                crate::log::LogLevel::Warning,
                "pushcast: the dispatcher did not stop by the shutdown deadline",
            );
        }
        // The dispatcher is gone: lanes see their senders dropped and finish.
        self.abort.notify_waiters();
        if let Some(stop) = self.io_stop.lock().take() {
            let _ = stop.send(());
        }
        if let Some(io) = self.io_thread.lock().take() {
            io.join_until(join_deadline(), sink);
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
